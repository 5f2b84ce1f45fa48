import { z } from 'zod';
import { formatDuration } from '../../config/duration.js';
import { CheckStatus, type CheckState, type HealthEvent, type Snapshot } from '../../monitor/schema.js';
import { STATUS_WORD } from '../../monitor/summary.js';
import { formatSeriesValue, formatTrend, parseSeries, unitOf } from '../../store/series.js';
import type { History, HistoryResult } from '../../store/types.js';
import { remoteSnapshot } from '../../fleet/remote-snapshot.js';
import { fleetError, requireFleet } from './fleet-common.js';
import { parseWindow, requireHistory } from './query-history.js';
import { defineTool, READ_ONLY, ToolError } from './types.js';
import { WindowArg } from '../../config/limits.js';

export const Finding = z.object({
  kind: z.enum(['failing', 'warning', 'pending', 'correlated', 'preceded_by', 'resource_change', 'processes', 'disk_full_eta', 'all_clear']),
  severity: z.enum(['fail', 'warn', 'info']),
  check: z.string().optional().describe('the check the finding is about'),
  time: z.string().optional().describe('ISO time it began or happened'),
  title: z.string(),
  detail: z.string(),
  figures: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).describe('the numbers behind the finding'),
});
export type Finding = z.infer<typeof Finding>;

/** How far before a check went bad an event or a resource change counts as "just before". */
const BEFORE_MS = 15 * 60_000;
/** Checks that went bad within this of each other are reported as one incident. */
const CORRELATION_MS = 2 * 60_000;
const RESOURCE_SERIES = ['cpu.utilization', 'memory.utilization', 'swap.utilization', 'load.1m', 'self.rss'];

const ago = (now: number, t: number) => `${formatDuration(Math.max(0, Math.round((now - t) / 1000) * 1000))} ago`;
const round = (v: number, digits = 4) => Number(v.toFixed(digits));

async function tryQuery(h: DiagnoseInput['history'], series: string, from: number, to: number): Promise<HistoryResult | undefined> {
  try {
    return await h.query({ series, from, to, maxPoints: 2 });
  } catch {
    return undefined;
  }
}

/** The time a check's current status began: its last transition into that status, else the state's `since`. */
function beganAt(c: CheckState, events: HealthEvent[]): { time: number; event?: HealthEvent } {
  if (c.status === 'pass' && c.pending) return { time: Date.parse(c.pending.since) };
  const e = events.find((x) => x.check === c.name && x.type === 'status' && x.to === c.status);
  return e ? { time: Date.parse(e.time), event: e } : { time: Date.parse(c.since) };
}

/**
 * A change big enough to mention: ratios that moved 10 percentage points or crossed 90 %, other values
 * that rose by half (and by at least 1 for load).
 */
function notableChange(series: string, before: number, recent: number, recentMax: number): boolean {
  if (unitOf(series) === 'ratio') return Math.abs(recent - before) >= 0.1 || (recentMax >= 0.9 && before < 0.9);
  const min = series === 'load.1m' ? 1 : 0;
  return recent >= before * 1.5 && recent - before >= min && recent > 0;
}

export interface DiagnoseInput {
  snapshot: Pick<Snapshot, 'checks' | 'time'>;
  /** The local store, or another host's series read from Prometheus. */
  history: Pick<History, 'query' | 'series' | 'events' | 'processesNear'>;
  now: number;
  windowMs: number;
  check?: string;
}

/** Correlates what is not passing with events, resource trends and process snapshots from the history. */
export async function diagnose({ snapshot, history, now, windowMs, check }: DiagnoseInput): Promise<Finding[]> {
  const findings: Finding[] = [];
  const events = await history.events({ sinceMs: now - Math.max(windowMs, 24 * 3_600_000) - BEFORE_MS, limit: 5000 });
  const bad = Object.values(snapshot.checks)
    .filter((c) => (c.status !== 'pass' || c.pending) && (check === undefined || c.name === check))
    .map((c) => ({ c, ...beganAt(c, events) }))
    .sort((a, b) => a.time - b.time);

  const known = new Set((await history.series()).map((s) => s.name));
  const resourceSeries = [...RESOURCE_SERIES.filter((s) => known.has(s)), ...[...known].filter((s) => s.startsWith('disk.utilization:'))];
  for (const { c, time, event } of bad) {
    const kind = c.status === 'fail' ? 'failing' : c.status === 'warn' ? 'warning' : 'pending';
    const figures: Finding['figures'] = {
      status: c.status,
      since: new Date(time).toISOString(),
      sinceSeconds: Math.round((now - time) / 1000),
      observedValue: c.observedValue,
      unit: c.observedUnit,
      critical: c.critical,
    };
    if (c.threshold) Object.assign(figures, { warnThreshold: c.threshold.warn, failThreshold: c.threshold.fail, forSeconds: c.threshold.forSeconds });
    if (c.group === 'dependency') Object.assign(figures, { consecutiveFailures: c.consecutiveFailures ?? 0, breaker: c.breaker ?? 'closed' });
    if (c.pending) Object.assign(figures, { pendingStatus: c.pending.status, pendingSince: c.pending.since });
    // A dependency's latency just before it failed often tells a slow death from a sudden cut.
    if (c.group === 'dependency') {
      const lat = await tryQuery(history, `check.latency:${c.name}`, time - BEFORE_MS, time);
      if (lat?.summary) Object.assign(figures, { latencyAvgBeforeSeconds: round(lat.summary.avg, 6), latencyMaxBeforeSeconds: round(lat.summary.max, 6), latencySamplesBefore: lat.summary.count });
    }
    const word = c.pending && c.status === 'pass' ? `about to turn ${STATUS_WORD[c.pending.status]}` : STATUS_WORD[c.status];
    findings.push({
      kind,
      severity: c.status === 'pass' ? 'info' : c.status,
      check: c.name,
      time: new Date(time).toISOString(),
      title: `${c.name} ${word} since ${new Date(time).toISOString()} (${ago(now, time)})`,
      detail: c.output || c.lastError || event?.reason || 'no detail',
      figures,
    });

    // What happened to other checks shortly before this one went bad.
    const before = events.filter((e) => e !== event && Date.parse(e.time) <= time && Date.parse(e.time) >= time - BEFORE_MS);
    for (const e of before.slice(0, 5)) {
      const dt = time - Date.parse(e.time);
      findings.push({
        kind: 'preceded_by',
        severity: 'info',
        check: c.name,
        time: e.time,
        title: `${Math.round(dt / 1000)}s before ${c.name}: ${e.check} ${e.type === 'breaker' ? 'breaker ' : ''}${e.from} → ${e.to}`,
        detail: e.reason,
        figures: { secondsBefore: Math.round(dt / 1000), eventCheck: e.check, eventType: e.type, from: e.from, to: e.to },
      });
    }

    // Host resources in the minutes before, against the hour before that.
    for (const series of resourceSeries) {
      const [recent, base] = await Promise.all([tryQuery(history, series, time - BEFORE_MS, time), tryQuery(history, series, time - BEFORE_MS - 3_600_000, time - BEFORE_MS - 1)]);
      if (!recent?.summary || !base?.summary) continue;
      if (!notableChange(series, base.summary.avg, recent.summary.avg, recent.summary.max)) continue;
      const unit = unitOf(series);
      const f = (v: number) => formatSeriesValue(v, unit);
      findings.push({
        kind: 'resource_change',
        severity: 'info',
        check: c.name,
        time: new Date(time).toISOString(),
        title: `${series} went from avg ${f(base.summary.avg)} to ${f(recent.summary.avg)} (max ${f(recent.summary.max)}) in the ${formatDuration(BEFORE_MS)} before ${c.name} went bad`,
        detail: `baseline is the hour before that; trend in the last ${formatDuration(BEFORE_MS)}: ${recent.summary.trendPerHour === null ? 'n/a' : formatTrend(recent.summary.trendPerHour, unit)}`,
        figures: {
          series,
          unit,
          baselineAvg: round(base.summary.avg, 6),
          recentAvg: round(recent.summary.avg, 6),
          recentMax: round(recent.summary.max, 6),
          recentTrendPerHour: recent.summary.trendPerHour === null ? null : round(recent.summary.trendPerHour, 6),
          recentSamples: recent.summary.count,
        },
      });
    }

    const procs = history.processesNear(time, 2 * 60_000);
    if (procs) {
      const top = procs.processes.slice(0, 5);
      const byMem = [...procs.processes].sort((a, b) => b.rssBytes - a.rssBytes).slice(0, 3);
      findings.push({
        kind: 'processes',
        severity: 'info',
        check: c.name,
        time: new Date(procs.time).toISOString(),
        title: `top processes ${Math.round((procs.time - time) / 1000)}s after ${c.name} went bad`,
        detail: `by CPU: ${top.map((p) => `${p.name} (pid ${p.pid}) ${p.cpuPercent.toFixed(1)}%`).join(', ')}; by memory: ${byMem.map((p) => `${p.name} (pid ${p.pid}) ${formatSeriesValue(p.rssBytes, 'By')}`).join(', ')}`,
        figures: Object.fromEntries(top.flatMap((p, i) => [[`cpu${i + 1}`, `${p.name}:${p.pid}`], [`cpu${i + 1}Percent`, p.cpuPercent]])),
      });
    }
  }

  // Checks that went bad together probably share a cause; the first is the likeliest.
  for (let i = 0; i < bad.length; ) {
    let j = i + 1;
    while (j < bad.length && bad[j]!.time - bad[j - 1]!.time <= CORRELATION_MS) j++;
    if (j - i > 1) {
      const group = bad.slice(i, j);
      const spread = group[group.length - 1]!.time - group[0]!.time;
      findings.push({
        kind: 'correlated',
        severity: 'warn',
        check: group[0]!.c.name,
        time: new Date(group[0]!.time).toISOString(),
        title: `${group.map((g) => g.c.name).join(', ')} went bad within ${Math.round(spread / 1000)}s of each other; ${group[0]!.c.name} first`,
        detail: 'a common cause (network, host resources, a shared upstream) is likely; look at the first one',
        figures: Object.fromEntries(group.map((g) => [g.c.name, new Date(g.time).toISOString()])),
      });
    }
    i = j;
  }

  findings.push(...(await diskEta(snapshot, history, now, windowMs)));

  if (!bad.length) {
    const n = Object.keys(snapshot.checks).length;
    findings.unshift({
      kind: 'all_clear',
      severity: 'info',
      title: check ? `${check} is passing` : `all ${n} checks pass`,
      detail: `nothing failing or warning at ${snapshot.time}`,
      figures: { checks: n, eventsInWindow: events.filter((e) => Date.parse(e.time) >= now - windowMs).length },
    });
  }
  return findings;
}

/** Disk-full ETA by least squares over each filesystem's utilization history in the window. */
async function diskEta(snapshot: DiagnoseInput['snapshot'], history: DiagnoseInput['history'], now: number, windowMs: number): Promise<Finding[]> {
  const out: Finding[] = [];
  const disks = (await history.series()).map((s) => s.name).filter((s) => s.startsWith('disk.utilization:'));
  for (const series of disks) {
    const mount = parseSeries(series).instance!;
    const r = await tryQuery(history, series, now - windowMs, now);
    const s = r?.summary;
    if (!s || s.count < 10 || s.trendPerHour === null) continue;
    // Less than 10 minutes of data says nothing about a trend.
    const spanMs = Date.parse(s.lastTime) - Math.max(r.from, Date.parse(r.points[0]?.time ?? s.lastTime));
    if (spanMs < 10 * 60_000 || s.trendPerHour <= 1e-7) continue;
    const fail = snapshot.checks[`disk:${mount}`]?.threshold?.fail ?? 0.95;
    const hoursToFull = (1 - s.last) / s.trendPerHour;
    const hoursToFail = s.last < fail ? (fail - s.last) / s.trendPerHour : 0;
    if (hoursToFull > 30 * 24) continue;
    out.push({
      kind: 'disk_full_eta',
      severity: hoursToFull <= 24 ? 'fail' : hoursToFull <= 7 * 24 ? 'warn' : 'info',
      check: `disk:${mount}`,
      time: new Date(now + hoursToFull * 3_600_000).toISOString(),
      title: `${mount} fills in about ${formatDuration(Math.round(hoursToFull * 3600) * 1000)} at the current rate`,
      detail: `${formatSeriesValue(s.last, 'ratio')} used, growing ${formatTrend(s.trendPerHour, 'ratio')} (least squares over ${s.count} samples in the last ${formatDuration(windowMs)}); fail threshold ${formatSeriesValue(fail, 'ratio')} ${hoursToFail > 0 ? `in about ${formatDuration(Math.round(hoursToFail * 3600) * 1000)}` : 'already reached'}`,
      figures: {
        mountpoint: mount,
        utilization: round(s.last, 6),
        trendPerHour: round(s.trendPerHour, 8),
        samples: s.count,
        windowHours: round(windowMs / 3_600_000, 3),
        hoursToFull: round(hoursToFull, 2),
        hoursToFailThreshold: round(hoursToFail, 2),
        failThreshold: fail,
      },
    });
  }
  return out;
}

export const diagnoseTool = defineTool({
  name: 'diagnose',
  title: 'Diagnose',
  description:
    'One report on what is wrong and why, built from the recorded history: every failing and warning check with when it ' +
    'began, what changed just before (other checks\' transitions and breaker changes, CPU/memory/load/disk moving), the ' +
    'top processes captured when it went bad, checks that failed together, and a disk-full ETA from the trend of each ' +
    'filesystem. Every finding carries the figures behind it. Start here for "what is going on?"; then use ' +
    'query_history, list_events and top_processes to dig into a finding. Reads history only; no side effects.',
  input: z.object({
    window: WindowArg.default('6h').describe('History to look at for trends and the disk-full ETA: "1h", "6h", "24h".'),
    check: z.string().min(1).optional().describe('Only this check (the disk ETA is still reported).'),
    instance: z.string().min(1).max(253).optional().describe('Another host, as fleet_health lists it: the same analysis over its series and status transitions in Prometheus.'),
  }),
  output: z.object({
    time: z.string(),
    status: CheckStatus,
    headline: z.string(),
    findings: z.array(Finding),
  }),
  annotations: { title: 'Diagnose', ...READ_ONLY },
  async run(args, { monitor, history, fleet }) {
    const windowMs = parseWindow(args.window);
    const now = Date.now();
    let h: DiagnoseInput['history'];
    let snapshot: Pick<Snapshot, 'checks' | 'time' | 'hostname' | 'status'>;
    if (args.instance !== undefined) {
      // Another host: its checks and transitions as Prometheus has them, read through the same analysis.
      const remote = requireFleet(fleet).history(args.instance);
      const since = now - Math.max(windowMs, 24 * 3_600_000) - BEFORE_MS;
      const events = await remote.events({ sinceMs: since }).catch(fleetError);
      snapshot = await remoteSnapshot(fleet!.requirePrometheus(), args.instance, events, since, now).catch(fleetError);
      h = { query: (q) => remote.query(q), series: () => remote.series(), events: async (q) => events.filter((e) => (q?.sinceMs === undefined || Date.parse(e.time) >= q.sinceMs) && (q?.check === undefined || e.check === q.check)), processesNear: () => undefined };
    } else {
      h = requireHistory(history);
      await monitor.ready;
      snapshot = monitor.snapshot;
    }
    if (args.check !== undefined && !snapshot.checks[args.check]) throw new ToolError(`unknown check: ${args.check}; known: ${Object.keys(snapshot.checks).join(', ')}`, 'UNKNOWN_CHECK');
    const findings = await diagnose({ snapshot, history: h, now, windowMs, ...(args.check ? { check: args.check } : {}) }).catch(fleetError);
    const problems = findings.filter((f) => f.kind === 'failing' || f.kind === 'warning').length;
    const headline = problems ? `${snapshot.hostname} is ${STATUS_WORD[snapshot.status]}: ${problems} check(s) not passing` : `${snapshot.hostname} is ${STATUS_WORD[snapshot.status]}: nothing failing`;
    const tag = { fail: 'FAIL', warn: 'WARN', info: 'info' } as const;
    const figures = (f: Finding) =>
      Object.entries(f.figures)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
    const text = [headline, ...findings.map((f) => `[${tag[f.severity]}] ${f.title}: ${f.detail}${Object.keys(f.figures).length ? ` (${figures(f)})` : ''}`)].join('\n');
    return { text, data: { time: snapshot.time, status: snapshot.status, headline, findings } };
  },
});
