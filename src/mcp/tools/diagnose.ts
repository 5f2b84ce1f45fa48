import { z } from 'zod';
import {
  Analysis,
  analyze,
  BEFORE_MS,
  buildIncidents,
  inWindow,
  RESOURCE_SERIES,
  renderAnalysis,
  type SeriesData,
} from '../../analysis/index.js';
import type { Snapshot } from '../../monitor/schema.js';
import type { History, HistoryResult, ProcessSnapshot } from '../../store/types.js';
import type { Fleet } from '../../fleet/index.js';
import { remoteSnapshot } from '../../fleet/remote-snapshot.js';
import { fleetError, requireFleet } from './fleet-common.js';
import { parseWindow, requireHistory } from './query-history.js';
import { defineTool, READ_ONLY, ToolError } from './types.js';
import { WindowArg } from '../../config/limits.js';

/** Points per series handed to the analysis: fine enough to compare the 15 minutes before a start. */
const ANALYSIS_POINTS = 240;
/** How often another host's statuses are assumed sampled: Prometheus's default scrape interval. */
const REMOTE_INTERVAL_MS = 15_000;

/** A stored query as the analysis' plain input. */
function seriesData(r: HistoryResult): SeriesData {
  const s = r.summary;
  return {
    unit: r.unit,
    stepMs: r.resolution === 'raw' && r.stepMs <= 1000 ? 0 : r.stepMs,
    points: r.points.map((p) => ({ time: Date.parse(p.time), min: p.min, avg: p.avg, max: p.max, count: p.count })),
    ...(s
      ? {
          stats: {
            count: s.count,
            firstTime: Date.parse(s.firstTime),
            lastTime: Date.parse(s.lastTime),
            last: s.last,
            trendPerHour: s.trendPerHour,
          },
        }
      : {}),
  };
}

/** What the analysis reads: the local store, or another host's series and transitions in Prometheus. */
export type AnalysisHistory = Pick<History, 'query' | 'series' | 'events' | 'processesNear'>;

async function tryQuery(h: AnalysisHistory, series: string, from: number, to: number): Promise<SeriesData | undefined> {
  try {
    return seriesData(await h.query({ series, from, to, maxPoints: ANALYSIS_POINTS }));
  } catch {
    return undefined;
  }
}

/** Reads what the analysis needs from the history: events, series, process captures near each start. */
export async function analysisFromHistory(options: {
  snapshot: Pick<Snapshot, 'checks' | 'hostname' | 'status'>;
  history: AnalysisHistory;
  intervals: Record<string, number>;
  hostIntervalMs: number;
  now: number;
  windowMs: number;
  check?: string;
}) {
  const { snapshot, history: h, now, windowMs } = options;
  const lookback = now - Math.max(windowMs, 24 * 3_600_000) - BEFORE_MS;
  const events = await h.events({ sinceMs: lookback, limit: 5000 });
  const checks = Object.values(snapshot.checks);
  const known = new Set((await h.series()).map((s) => s.name));
  const wide = now - windowMs - BEFORE_MS - 3_600_000;
  const wanted: [string, number][] = RESOURCE_SERIES.filter((n) => known.has(n)).map((n) => [n, wide]);
  // Disks over the window only: their trend (and ETA) is the window's.
  for (const n of known) if (n.startsWith('disk.utilization:')) wanted.push([n, now - windowMs]);
  const involved = new Set([
    ...events.filter((e) => e.type === 'status').map((e) => e.check),
    ...checks.filter((c) => c.status === 'warn' || c.status === 'fail').map((c) => c.name),
  ]);
  for (const c of involved)
    for (const n of [`check.latency:${c}`, `check.value:${c}`])
      if (known.has(n)) wanted.push([n, now - windowMs - BEFORE_MS]);
  const series: Record<string, SeriesData> = {};
  await Promise.all(
    wanted.map(async ([n, from]) => {
      const d = await tryQuery(h, n, from, now);
      if (d) series[n] = d;
    }),
  );
  const processes = new Set<ProcessSnapshot>();
  for (const i of inWindow(buildIncidents(events, checks), now - windowMs)) {
    const p = i.start === undefined ? undefined : h.processesNear(i.start, 2 * 60_000);
    if (p) processes.add(p);
  }
  return analyze({
    now,
    windowMs,
    hostname: snapshot.hostname,
    status: snapshot.status,
    checks,
    events,
    intervals: options.intervals,
    defaultIntervalMs: options.hostIntervalMs,
    series,
    processes: [...processes],
    ...(options.check !== undefined ? { check: options.check } : {}),
  });
}

/**
 * Another host for the analysis: its checks rebuilt from `vitals_check_status`, its transitions read once
 * (refined to 1 s) and served to the analysis from memory, its series through range queries. Its checks'
 * intervals are not exported: Prometheus's sampling step stands in for them.
 */
async function remoteAnalysisSource(fleet: Fleet, instance: string, now: number, windowMs: number) {
  const remote = fleet.history(instance);
  const since = now - Math.max(windowMs, 24 * 3_600_000) - BEFORE_MS;
  const events = await remote.events({ sinceMs: since, untilMs: now });
  const snapshot = await remoteSnapshot(fleet.requirePrometheus(), instance, events, since, now);
  const history: AnalysisHistory = {
    query: (q) => remote.query(q),
    series: () => remote.series(),
    events: async (q) =>
      events.filter(
        (e) =>
          (q?.sinceMs === undefined || Date.parse(e.time) >= q.sinceMs) &&
          (q?.check === undefined || e.check === q.check),
      ),
    processesNear: () => undefined,
  };
  return { snapshot, history, intervals: {}, hostIntervalMs: REMOTE_INTERVAL_MS };
}

export const diagnoseTool = defineTool({
  name: 'diagnose',
  title: 'Diagnose',
  description:
    'What broke, when and why, from the recorded history: each incident in the window (ongoing or finished) with its start, ' +
    'end and duration, what changed just before (other checks, CPU/memory/load/disk), the processes captured when it began, ' +
    'problems that began together, and disk-full ETAs from trends of at least 10 minutes. Says where evidence is missing. ' +
    'Start here for "what is going on?" or "what happened?".',
  input: z.object({
    window: WindowArg.default('6h').describe('How far back: "1h", "6h", "24h".'),
    check: z.string().min(1).max(1024).optional().describe('Only this check (disk-full ETAs are still reported).'),
    verbose: z.boolean().optional().describe('Every finding, past the usual length limit.'),
    instance: z
      .string()
      .min(1)
      .max(253)
      .optional()
      .describe(
        'Another host, as fleet_health lists it: the same analysis over its checks, transitions and series in Prometheus.',
      ),
  }),
  output: Analysis,
  annotations: { title: 'Diagnose', ...READ_ONLY },
  async run(args, { monitor, history, fleet }) {
    const windowMs = parseWindow(args.window);
    const now = monitor.now();
    let source: {
      snapshot: Pick<Snapshot, 'checks' | 'hostname' | 'status'>;
      history: AnalysisHistory;
      intervals: Record<string, number>;
      hostIntervalMs: number;
    };
    if (args.instance !== undefined) {
      // Another host: its checks and transitions as Prometheus has them, through the same analysis.
      source = await remoteAnalysisSource(requireFleet(fleet), args.instance, now, windowMs).catch(fleetError);
    } else {
      await monitor.ready;
      source = {
        snapshot: monitor.snapshot,
        history: requireHistory(history),
        intervals: monitor.intervals,
        hostIntervalMs: monitor.config.host.interval,
      };
    }
    const snapshot = source.snapshot;
    if (args.check !== undefined && !snapshot.checks[args.check])
      throw new ToolError(
        `unknown check: ${args.check}; known: ${Object.keys(snapshot.checks).join(', ')}`,
        'UNKNOWN_CHECK',
      );
    const analysis = await analysisFromHistory({
      ...source,
      now,
      windowMs,
      ...(args.check ? { check: args.check } : {}),
    }).catch(fleetError);
    return { text: renderAnalysis(analysis, { verbose: args.verbose === true }), data: analysis };
  },
});
