import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
  type Resource,
} from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

// Incubating keys, spelled out rather than importing the whole incubating entry point for two strings.
const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';
const ATTR_HOST_NAME = 'host.name';

/** One per process, so every signal of this run (metrics, traces, the target_info series) agrees. */
const INSTANCE_ID = randomUUID();

/**
 * service.name `mcp-vitals`, service.version, service.instance.id and host.name, under what
 * OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME say (the environment wins, as the spec asks).
 */
export function buildResource(version: string): Resource {
  const ours = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: 'mcp-vitals',
    [ATTR_SERVICE_VERSION]: version,
    [ATTR_SERVICE_INSTANCE_ID]: INSTANCE_ID,
    [ATTR_HOST_NAME]: hostname(),
  });
  return defaultResource()
    .merge(ours)
    .merge(detectResources({ detectors: [envDetector] }));
}
