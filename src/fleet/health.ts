import type { CheckStatus } from '../monitor/schema.js';
import { verdictOfRank } from '../shared/status.js';
import { promAnyOf, type InstantSample, type PrometheusClient } from './prometheus.js';

/** An instance's word in the fleet: a daemon's own overall status, or that Prometheus no longer hears it. */
export type FleetStatus = CheckStatus | 'not_reporting' | 'unknown';

/** Worst first: a failing host, then one nobody can see, then warnings. */
export const FLEET_ORDER: FleetStatus[] = ['fail', 'not_reporting', 'warn', 'unknown', 'pass'];

interface FleetCheck {
  check: string;
  status: 'warn' | 'fail';
  critical: boolean;
}

export interface FleetInstance {
  /** Prometheus' `instance` label (what `query_history {instance}` takes). */
  instance: string;
  job: string;
  host: string | null;
  version: string | null;
  status: FleetStatus;
  /** Checks not passing, failing first. */
  checks: FleetCheck[];
  /** Why an instance is not reporting. */
  reason?: string;
  /** ISO time it was last scraped successfully (not_reporting only, when known). */
  lastSeen?: string | null;
}

const SELF = 'target_info{service_name="mcp-vitals"}';
const key = (m: { job?: string | undefined; instance?: string | undefined }) =>
  `${m.job ?? ''}\u0000${m.instance ?? ''}`;

/**
 * Every mcp-vitals instance Prometheus has seen within `lookbackMs` (from `target_info`), with `up`, its
 * overall status and its checks that do not pass. Four instant queries, whatever the fleet's size.
 */
export async function readFleet(
  prom: PrometheusClient,
  options: { lookbackMs: number; now?: number },
): Promise<FleetInstance[]> {
  const lb = `${Math.round(options.lookbackMs / 1000)}s`;
  const known = `last_over_time(${SELF}[${lb}])`;
  const at = options.now;
  const [info, up, overall, checks] = await Promise.all([
    prom.query(known, at),
    prom.query(`up and on (job, instance) ${known}`, at),
    prom.query(`vitals_overall_status and on (job, instance) ${SELF}`, at),
    prom.query(`vitals_check_status > 0`, at),
  ]);
  const upBy = new Map(up.map((s) => [key(s.metric), Number(s.value[1])]));
  const overallBy = new Map(overall.map((s) => [key(s.metric), Number(s.value[1])]));
  const checksBy = new Map<string, FleetCheck[]>();
  for (const s of checks) {
    const list = checksBy.get(key(s.metric)) ?? [];
    list.push({
      check: s.metric.check ?? '?',
      status: Number(s.value[1]) >= 2 ? 'fail' : 'warn',
      critical: s.metric.critical === 'true',
    });
    checksBy.set(key(s.metric), list);
  }
  const seen = new Map<string, FleetInstance>();
  for (const s of info) {
    const k = key(s.metric);
    if (seen.has(k)) continue;
    const u = upBy.get(k);
    const o = overallBy.get(k);
    const reporting = u === 1 && o !== undefined;
    const status: FleetStatus =
      u === undefined || u === 0 ? 'not_reporting' : o === undefined ? 'unknown' : verdictOfRank(o);
    const list = reporting
      ? (checksBy.get(k) ?? []).sort((a, b) =>
          a.status === b.status ? a.check.localeCompare(b.check) : a.status === 'fail' ? -1 : 1,
        )
      : [];
    seen.set(k, {
      instance: s.metric.instance ?? '',
      job: s.metric.job ?? '',
      host: s.metric.host_name ?? null,
      version: s.metric.service_version ?? null,
      status,
      checks: list,
      ...(status === 'not_reporting'
        ? { reason: u === undefined ? 'no longer scraped (target gone)' : 'scrape failing (up == 0)' }
        : {}),
      ...(status === 'unknown' ? { reason: 'scraped, but no vitals_overall_status' } : {}),
    });
  }
  return sortFleet([...seen.values()]);
}

export function sortFleet(list: FleetInstance[]): FleetInstance[] {
  const rank = (s: FleetStatus) => FLEET_ORDER.indexOf(s);
  const fails = (i: FleetInstance) => i.checks.filter((c) => c.status === 'fail').length;
  return list.sort(
    (a, b) =>
      rank(a.status) - rank(b.status) ||
      fails(b) - fails(a) ||
      b.checks.length - a.checks.length ||
      a.instance.localeCompare(b.instance),
  );
}

/** When each of a few not-reporting instances was last scraped successfully (one subquery, bounded by `instances`). */
export async function lastSeen(
  prom: PrometheusClient,
  instances: FleetInstance[],
  lookbackMs: number,
  now?: number,
): Promise<void> {
  const down = instances.filter((i) => i.status === 'not_reporting');
  if (!down.length) return;
  const lb = Math.round(lookbackMs / 1000);
  const res = Math.max(5, Math.round(lb / 720));
  const rows: InstantSample[] = await prom.query(
    `max by (job, instance) (max_over_time(timestamp(up{instance=~${promAnyOf(down.map((i) => i.instance))}} ` +
      `== 1)[${lb}s:${res}s]))`,
    now,
  );
  const by = new Map(rows.map((r) => [key(r.metric), Number(r.value[1]) * 1000]));
  for (const i of down) {
    const t = by.get(key(i));
    i.lastSeen = t ? new Date(t).toISOString() : null;
  }
}

export interface FleetSummary {
  total: number;
  counts: Record<FleetStatus, number>;
  /** The worst `limit` instances (of those matching the filter), in full. */
  shown: FleetInstance[];
  /** Matching instances left out of `shown`. */
  omitted: number;
}

/** Counts per status and the worst N: the answer stays the same size for 10 or 10,000 instances. */
export function summarizeFleet(
  all: FleetInstance[],
  options: { limit: number; status?: FleetStatus[]; includePassing?: boolean },
): FleetSummary {
  const counts = Object.fromEntries(FLEET_ORDER.map((s) => [s, 0])) as Record<FleetStatus, number>;
  for (const i of all) counts[i.status]++;
  const wanted = all.filter((i) =>
    options.status ? options.status.includes(i.status) : options.includePassing || i.status !== 'pass',
  );
  return {
    total: all.length,
    counts,
    shown: wanted.slice(0, options.limit),
    omitted: Math.max(0, wanted.length - options.limit),
  };
}
