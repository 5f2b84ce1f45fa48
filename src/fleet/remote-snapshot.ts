import type { CheckState, CheckStatus, HealthEvent } from '../monitor/schema.js';
import { verdictOfRank, worst } from '../shared/status.js';
import { promString, type PrometheusClient } from './prometheus.js';
import { unknownInstance } from './series.js';

/**
 * What another host's daemon reports, as far as Prometheus has it: the checks' statuses and values, not their reasons.
 */
export interface RemoteSnapshot {
  instance: string;
  hostname: string;
  status: CheckStatus;
  time: string;
  checks: Record<string, CheckState>;
}

const HOST_KINDS = new Set(['cpu', 'memory', 'disk']);
const statusOf = (v: string) => verdictOfRank(Number(v));

/**
 * One instance's checks rebuilt from its exported series: `vitals_check_status` (with `kind` and `critical`),
 * `vitals_check_latency_seconds`, the host utilizations the host checks judge, and `since` from the last
 * transition in `events`. Outputs (the reasons) are not exported: they say so rather than guess.
 */
export async function remoteSnapshot(
  prom: PrometheusClient,
  instance: string,
  events: readonly HealthEvent[],
  eventsSince: number,
  now = Date.now(),
): Promise<RemoteSnapshot> {
  const sel = `instance=${promString(instance)}`;
  const [status, overall, info, latency, values] = await Promise.all([
    prom.query(`vitals_check_status{${sel}}`, now),
    prom.query(`vitals_overall_status{${sel}}`, now),
    prom.query(`last_over_time(target_info{${sel},service_name="mcp-vitals"}[1h])`, now),
    prom.query(`vitals_check_latency_seconds{${sel}}`, now),
    prom.query(
      [
        `label_replace(1 - sum(system_cpu_utilization_ratio{${sel},cpu_mode=~"idle|iowait"}), "check", "cpu", "", "")`,
        `label_replace(max(system_memory_utilization_ratio{${sel},system_memory_state="used"}), "check", ` +
          `"memory", "", "")`,
        `label_replace(max by (system_filesystem_mountpoint) (system_filesystem_utilization_ratio{${sel},` +
          `system_filesystem_state="used"}), "check", "disk:$1", "system_filesystem_mountpoint", "(.*)")`,
      ].join(' or '),
      now,
    ),
  ]);
  if (!status.length && !info.length) throw await unknownInstance(prom, instance);
  const latencyBy = new Map(latency.map((s) => [s.metric.check!, Number(s.value[1])]));
  const valueBy = new Map(values.map((s) => [s.metric.check!, Number(s.value[1])]));
  const time = new Date(now).toISOString();
  const checks: Record<string, CheckState> = {};
  for (const s of status) {
    const name = s.metric.check!;
    const kind = s.metric.kind ?? 'unknown';
    const st = statusOf(s.value[1]);
    const last = events
      .filter((e) => e.check === name && e.type === 'status')
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];
    const dependency = !HOST_KINDS.has(kind) && kind !== 'tool_errors';
    // A failed dependency has no latency (none of its instances answered), whatever stale gauge Prometheus still holds.
    const observed = dependency ? (st === 'fail' ? null : (latencyBy.get(name) ?? null)) : (valueBy.get(name) ?? null);
    checks[name] = {
      name,
      kind,
      group: dependency ? 'dependency' : kind === 'tool_errors' ? 'self' : 'host',
      component: name,
      measurement: dependency ? 'responseTime' : 'utilization',
      status: st,
      critical: s.metric.critical === 'true',
      observedValue: observed,
      observedUnit: dependency ? 's' : 'ratio',
      // The reason stays on that host (ask its daemon, or its /health); Prometheus has only the status.
      output:
        st === 'pass'
          ? ''
          : `${st} as reported to Prometheus (the reason is not exported)` +
            (last ? '' : `; already ${st} when the records looked at begin`),
      since: last?.time ?? new Date(eventsSince).toISOString(),
      time,
      ...(dependency ? { latencySeconds: observed } : {}),
    } as CheckState;
  }
  const ov = overall[0]?.value[1];
  return {
    instance,
    hostname: info[0]?.metric.host_name ?? instance,
    status:
      ov !== undefined
        ? statusOf(ov)
        : Object.values(checks).reduce<CheckStatus>(
            (w, c) => (c.status !== 'pending' ? worst(w, c.status) : w),
            'pass',
          ),
    time,
    checks,
  };
}
