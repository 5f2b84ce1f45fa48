import type { Snapshot } from '../monitor/schema.js';
import type { History, HistoryResult, ProcessSnapshot } from '../store/types.js';
import { analyze, BEFORE_MS, RESOURCE_SERIES } from './analyze.js';
import { buildIncidents, inWindow } from './incidents.js';
import type { SeriesData } from './types.js';

/** Points per series handed to the analysis: fine enough to compare the 15 minutes before a start. */
const ANALYSIS_POINTS = 240;

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
type AnalysisHistory = Pick<History, 'query' | 'series' | 'events' | 'processesNear'>;

/** A host to analyse: this one (monitor and store), or another one as Prometheus has it. */
export interface AnalysisSource {
  snapshot: Pick<Snapshot, 'checks' | 'hostname' | 'status'>;
  history: AnalysisHistory;
  /** Each check's sampling interval in ms; checks not listed use `hostIntervalMs`. */
  intervals: Record<string, number>;
  hostIntervalMs: number;
}

/** Where the analysis starts reading transitions: a day at least, so an incident begun earlier is whole. */
export function lookbackStart(now: number, windowMs: number): number {
  return now - Math.max(windowMs, 24 * 3_600_000) - BEFORE_MS;
}

async function tryQuery(h: AnalysisHistory, series: string, from: number, to: number): Promise<SeriesData | undefined> {
  try {
    return seriesData(await h.query({ series, from, to, maxPoints: ANALYSIS_POINTS }));
  } catch {
    return undefined;
  }
}

/** Reads what the analysis needs from the history: events, series, process captures near each start. */
export async function analysisFromHistory(options: AnalysisSource & { now: number; windowMs: number; check?: string }) {
  const { snapshot, history: h, now, windowMs } = options;
  const events = await h.events({ sinceMs: lookbackStart(now, windowMs), limit: 5000 });
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
