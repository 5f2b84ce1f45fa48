import type { CheckState, Snapshot } from '../monitor/schema.js';

/** IETF draft-inadarei-api-health-check: one entry of `checks["component:measurement"]`. */
interface HealthCheckEntry {
  componentId?: string;
  componentType: string;
  observedValue: number | null;
  observedUnit: string;
  status: CheckState['status'];
  time: string;
  output?: string;
  affectedEndpoints?: string[];
}

export interface HealthDocument {
  status: Snapshot['status'];
  version: string;
  releaseId: string;
  serviceId: string;
  description: string;
  checks: Record<string, HealthCheckEntry[]>;
  notes?: string[];
}

const COMPONENT_TYPE: Record<string, string> = {
  cpu: 'system',
  memory: 'system',
  disk: 'system',
  tool_errors: 'component',
  postgres: 'datastore',
  redis: 'datastore',
  http: 'component',
  tcp: 'component',
};

/** The snapshot as `application/health+json`: values in base units (ratio 0..1, seconds). */
export function toHealthDocument(s: Snapshot, release: string): HealthDocument {
  const checks: Record<string, HealthCheckEntry[]> = {};
  for (const c of Object.values(s.checks)) {
    const key = `${c.component}:${c.measurement}`;
    const entry: HealthCheckEntry = {
      ...(c.componentId !== undefined ? { componentId: c.componentId } : {}),
      componentType: COMPONENT_TYPE[c.kind] ?? 'component',
      observedValue: c.observedValue,
      observedUnit: c.observedUnit,
      status: c.status,
      time: c.time,
      ...(c.output ? { output: c.output } : {}),
    };
    const list = checks[key] ?? [];
    list.push(entry);
    checks[key] = list;
  }
  return {
    status: s.status,
    version: release.split('.')[0] ?? '0',
    releaseId: release,
    serviceId: `mcp-vitals:${s.hostname}`,
    description: `mcp-vitals on ${s.hostname}`,
    checks,
  };
}

export interface ReadinessLine {
  name: string;
  ok: boolean;
  reason?: string;
}

/**
 * Kubernetes /readyz semantics: ready when started, not shutting down, and every critical check passes
 * (warn counts as passing). `exclude` drops named checks from the verdict.
 */
export function readiness(
  s: Snapshot,
  options: { started: boolean; shuttingDown: boolean; exclude: ReadonlySet<string> },
): { ready: boolean; lines: ReadinessLine[] } {
  const lines: ReadinessLine[] = [];
  lines.push(
    options.started
      ? { name: 'started', ok: true }
      : { name: 'started', ok: false, reason: 'first sample not taken yet' },
  );
  lines.push(
    options.shuttingDown ? { name: 'shutdown', ok: false, reason: 'shutting down' } : { name: 'shutdown', ok: true },
  );
  for (const c of Object.values(s.checks)) {
    if (!c.critical || options.exclude.has(c.name)) continue;
    if (c.group === 'dependency' && (c.runs ?? 0) === 0)
      lines.push({ name: c.name, ok: false, reason: 'not checked yet' });
    else
      lines.push(
        c.status === 'fail' ? { name: c.name, ok: false, reason: c.output || 'failed' } : { name: c.name, ok: true },
      );
  }
  return { ready: lines.every((l) => l.ok), lines };
}
