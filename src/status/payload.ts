import type { HealthMonitor } from '../monitor/health-monitor.js';
import type { HealthEvent } from '../monitor/schema.js';
import type { HistoryQuery, HistoryResult } from '../store/types.js';
import { seriesName } from '../store/series.js';
import { analyzeMonitor } from '../analysis/index.js';
import { toView, type StatusView } from './view.js';

/**
 * What the status page and the MCP App draw, built from the monitor and the history store alone. Both
 * readers (the HTTP page, the `show_status` tool) call these, so the page and the app never disagree.
 */
export type HistoryQueryFn = (q: HistoryQuery) => Promise<HistoryResult>;

export interface StatusSource {
  monitor: HealthMonitor;
  /** The history store's query; without one the page has no uptime bars, sparklines start empty. */
  query?: HistoryQueryFn;
}

/** 48 half-hours: the uptime bar's slots, oldest first. */
export const UPTIME_SLOTS = 48;
export const UPTIME_SLOT_MS = 30 * 60_000;

export interface StatusPayload {
  view: StatusView;
  /** Last hour of each gauge and dependency: [unix seconds, value] pairs, oldest first. */
  history: Record<string, [number, number][]>;
  /**
   * Worst status per half-hour over the last 24 h, oldest first, per check: 0 pass, 1 warn, 2 fail, null
   * when nothing was recorded (the daemon was not running, or the check was still pending).
   */
  uptime: Record<string, (0 | 1 | 2 | null)[]>;
  /** The slots' start, ms since epoch. */
  uptimeFrom: number;
  events: HealthEvent[];
}

/** The series a check's chart draws: response time for a dependency, the judged value for a host check. */
function valueSeries(check: { name: string; group: string }): string {
  return seriesName(check.group === 'dependency' ? 'check.latency' : 'check.value', check.name);
}

/** Sparkline series of a gauge (cpu, memory, disk:/x) or a dependency row. */
function sparkSeries(name: string): string {
  return name === 'cpu'
    ? 'cpu.utilization'
    : name === 'memory'
      ? 'memory.utilization'
      : name.startsWith('disk:')
        ? `disk.utilization:${name.slice(5)}`
        : `check.latency:${name}`;
}

/** A bucket's average drawn at the bucket's middle (not its start), never past the query's end. */
const points = (r: HistoryResult): [number, number][] =>
  r.points.map((p) => [Math.min(Date.parse(p.time) + r.stepMs / 2, r.to) / 1000, p.avg]);

// Built once per snapshot whatever the number of readers.
const views = new WeakMap<object, StatusView>();
export function viewOf(monitor: HealthMonitor): StatusView {
  const s = monitor.snapshot;
  const known = views.get(s);
  if (known) return known;
  const v = toView(s, analyzeMonitor(monitor));
  views.set(s, v);
  return v;
}

export async function statusPayload(src: StatusSource, now = Date.now()): Promise<StatusPayload> {
  const view = viewOf(src.monitor);
  const history: StatusPayload['history'] = {};
  const uptime: StatusPayload['uptime'] = {};
  const uptimeFrom = Math.floor(now / UPTIME_SLOT_MS) * UPTIME_SLOT_MS - (UPTIME_SLOTS - 1) * UPTIME_SLOT_MS;
  const q = src.query;
  if (q) {
    const spark = [
      ...view.gauges.map((g) => g.name),
      ...view.checks.filter((c) => c.group === 'dependency').map((c) => c.name),
    ];
    await Promise.all([
      ...spark.map(async (n) => {
        history[n] = await q({ series: sparkSeries(n), from: now - 3_600_000, to: now, maxPoints: 120 }).then(
          points,
          () => [],
        );
      }),
      ...view.checks.map(async (c) => {
        const r = await q({
          series: seriesName('check.status', c.name),
          from: uptimeFrom,
          to: now,
          step: UPTIME_SLOT_MS,
          maxPoints: UPTIME_SLOTS + 1,
        }).catch(() => undefined);
        // The window is 47 whole slots and part of the current one; maxPoints one above that keeps the step at 30 min.
        const slots: (0 | 1 | 2 | null)[] = new Array(UPTIME_SLOTS).fill(null);
        for (const p of r?.points ?? []) {
          const i = Math.floor((Date.parse(p.time) - uptimeFrom) / UPTIME_SLOT_MS);
          if (i >= 0 && i < UPTIME_SLOTS && p.count > 0)
            slots[i] = Math.max(slots[i] ?? 0, Math.min(2, Math.round(p.max))) as 0 | 1 | 2;
        }
        uptime[c.name] = slots;
      }),
    ]);
  }
  return { view, history, uptime, uptimeFrom, events: src.monitor.events({ limit: 20 }) };
}

/** Payloads built or being built, per snapshot and per history source (readers of one snapshot share a build). */
const payloads = new WeakMap<object, WeakMap<object, Promise<StatusPayload>>>();
const NO_HISTORY = {};

/**
 * The payload of the monitor's current snapshot, built once however many readers ask: every `show_status`
 * caller waiting for the next update wakes at the same publication, and N of them cost one build. `source`
 * names the history the payload reads (callers that build a fresh `query` closure per call pass the store).
 */
export function latestStatusPayload(
  src: StatusSource,
  source: object = src.query ?? NO_HISTORY,
): Promise<StatusPayload> {
  const snapshot = src.monitor.snapshot;
  const cache = payloads.get(snapshot) ?? new WeakMap<object, Promise<StatusPayload>>();
  payloads.set(snapshot, cache);
  const known = cache.get(source);
  if (known) return known;
  const built = statusPayload(src);
  cache.set(source, built);
  // A failed build is not kept: the next reader tries again.
  built.catch(() => cache.delete(source));
  return built;
}

export const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type Range = keyof typeof RANGES;

export interface CheckDetail {
  name: string;
  range: Range;
  unit: string;
  /** The levels the value is judged against, in the chart's unit; null when the check has none. */
  thresholds: { warn: number; fail: number; forSeconds: number } | null;
  /** [unix seconds, value] pairs, oldest first; each a bucket's average. */
  points: [number, number][];
  /** This check's transitions in the range, newest first (at most 50). */
  events: HealthEvent[];
  row: StatusView['checks'][number];
}

/** One check's history for the detail view; undefined for a check the monitor does not have. */
export async function checkDetail(
  src: StatusSource,
  name: string,
  range: Range,
  now = Date.now(),
): Promise<CheckDetail | undefined> {
  const state = src.monitor.snapshot.checks[name];
  const row = viewOf(src.monitor).checks.find((c) => c.name === name);
  if (!state || !row) return undefined;
  const from = now - RANGES[range];
  const r = src.query
    ? await src.query({ series: valueSeries(state), from, to: now, maxPoints: 240 }).catch(() => undefined)
    : undefined;
  const events = src.monitor.events({ sinceMs: from, check: name, limit: 50 });
  return {
    name,
    range,
    unit: r?.unit ?? state.observedUnit,
    thresholds: state.threshold ?? null,
    points: r ? points(r) : [],
    events,
    row,
  };
}
