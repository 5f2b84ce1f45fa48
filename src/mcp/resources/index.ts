import {
  ResourceNotFoundError,
  ResourceTemplate,
  type CacheScope,
  type McpServer,
  type ReadResourceResult,
} from '@modelcontextprotocol/server';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import { headline, problems } from '../../monitor/summary.js';
import { msUntilNextSample } from './cache.js';

export const HEALTH_URI = 'vitals://health';
export const EVENTS_URI = 'vitals://events';
const CHECK_PREFIX = 'vitals://checks/';

/** Check names may hold ':' and '/' (`disk:/var`): the URI carries them percent-encoded. */
export const checkUri = (name: string): string => `${CHECK_PREFIX}${encodeURIComponent(name)}`;

/** One spelling per resource, whether the client sent the name encoded or not. */
export function canonicalUri(uri: string): string {
  if (!uri.startsWith(CHECK_PREFIX)) return uri;
  const rest = uri.slice(CHECK_PREFIX.length);
  try {
    return checkUri(decodeURIComponent(rest));
  } catch {
    return uri;
  }
}

/**
 * A resource read; on 2026-07-28 with its cache fields: true until the next sample that could change it, shared
 * or not as the daemon's access is. 2025-era results have no such fields.
 */
const json = (
  uri: string,
  value: unknown,
  cache: { ttlMs: () => number; scope: CacheScope } | undefined,
): ReadResourceResult =>
  ({
    contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }],
    ...(cache ? { ttlMs: cache.ttlMs(), cacheScope: cache.scope } : {}),
  }) as ReadResourceResult;

/** One check template per monitor (parsing its URI template is most of a registration): every server shares it. */
const templates = new WeakMap<HealthMonitor, ResourceTemplate>();
function checkTemplate(monitor: HealthMonitor): ResourceTemplate {
  let template = templates.get(monitor);
  if (template) return template;
  template = new ResourceTemplate(`${CHECK_PREFIX}{name}`, {
    // Host checks exist from the first sample on: listing and completing wait for it, as reads do.
    list: async () => {
      await monitor.ready;
      return {
        resources: Object.values(monitor.snapshot.checks).map((c) => ({
          uri: checkUri(c.name),
          name: c.name,
          title: `Check ${c.name}`,
          description: `${c.kind} check, now ${c.status}`,
          mimeType: 'application/json',
        })),
      };
    },
    complete: {
      name: async (value) => {
        await monitor.ready;
        return Object.keys(monitor.snapshot.checks).filter((n) => n.startsWith(value));
      },
    },
  });
  templates.set(monitor, template);
  return template;
}

/**
 * Read-only views of the latest snapshot: the whole health picture, one check, and the recent events.
 * Reads are O(1) from the monitor, like the tools; subscriptions are wired by `attachLiveUpdates`.
 */
export function registerResources(server: McpServer, monitor: HealthMonitor, cacheScope?: CacheScope): void {
  const cache = (check?: string) =>
    cacheScope ? { ttlMs: () => msUntilNextSample(monitor, check), scope: cacheScope } : undefined;
  server.registerResource(
    'health',
    HEALTH_URI,
    {
      title: 'Health snapshot',
      description:
        'The latest snapshot: overall status, every check with its value, thresholds and reason, host ' +
        'figures. Subscribe to be told when a status changes.',
      mimeType: 'application/json',
    },
    async (uri) => {
      await monitor.ready;
      const s = monitor.snapshot;
      return json(uri.href, { summary: headline(s), problems: problems(s), ...s }, cache());
    },
  );

  server.registerResource(
    'check',
    checkTemplate(monitor),
    {
      title: 'Check',
      description:
        'One check: status, observed value, thresholds, reason, since when, and its recent events. Subscribe ' +
        'to be told when its status changes.',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      await monitor.ready;
      const raw = Array.isArray(variables.name) ? variables.name.join(',') : String(variables.name);
      let name = raw;
      try {
        name = decodeURIComponent(raw);
      } catch {
        /* not encoded */
      }
      const c = monitor.snapshot.checks[name];
      // The name is the client's: echo a bounded piece of it, never a megabyte back. -32002 is the spec's code for
      // a resource that does not exist (-32602 would say the request itself was malformed).
      if (!c)
        throw new ResourceNotFoundError(
          checkUri(name.slice(0, 100)),
          `unknown check "${name.length > 100 ? `${name.slice(0, 100)}…` : name}"; ` +
            `known: ${Object.keys(monitor.snapshot.checks).join(', ')}`,
        );
      return json(uri.href, { ...c, events: monitor.events({ check: name, limit: 20 }) }, cache(name));
    },
  );

  server.registerResource(
    'events',
    EVENTS_URI,
    {
      title: 'Recent events',
      description:
        'Status transitions and circuit-breaker changes, newest first (the last 100). Subscribe to be told of ' +
        'new ones.',
      mimeType: 'application/json',
    },
    async (uri) => {
      await monitor.ready;
      return json(uri.href, { events: monitor.events({ limit: 100 }) }, cache());
    },
  );
}
