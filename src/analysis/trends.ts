import type { SeriesData, SeriesStats } from './types.js';

/** A slope from less than this much of actual samples says nothing about a trend. */
export const MIN_TREND_SPAN_MS = 10 * 60_000;
/** And from fewer samples than this. */
const MIN_TREND_SAMPLES = 10;

/**
 * The window's statistics: the store's when it gave them, else a count-weighted least-squares fit over the
 * points (each bucket at its start plus half its step). A bucket's first sample can be anywhere in it, so
 * the first time is taken at the bucket's middle: a span is understated, never overstated.
 */
function statsOf(s: SeriesData): SeriesStats | undefined {
  if (s.stats) return s.stats;
  const pts = s.points.filter((p) => p.count > 0);
  if (!pts.length) return undefined;
  const half = (s.stepMs ?? 0) / 2;
  const origin = pts[0]!.time;
  let n = 0;
  let sx = 0;
  let sxx = 0;
  let sv = 0;
  let sxv = 0;
  for (const p of pts) {
    const x = (p.time + half - origin) / 3_600_000;
    n += p.count;
    sx += p.count * x;
    sxx += p.count * x * x;
    sv += p.count * p.avg;
    sxv += p.count * x * p.avg;
  }
  const d = n * sxx - sx * sx;
  const last = pts[pts.length - 1]!;
  return {
    count: n,
    firstTime: pts[0]!.time + half,
    lastTime: last.time + half,
    last: last.avg,
    trendPerHour: pts.length > 1 && d > 1e-12 ? (n * sxv - sx * sv) / d : null,
  };
}

/** Count-weighted average of the points inside [from, to); undefined when none. */
export function averageBetween(
  s: SeriesData | undefined,
  from: number,
  to: number,
): { avg: number; max: number; count: number } | undefined {
  let n = 0;
  let sum = 0;
  let max = -Infinity;
  for (const p of s?.points ?? []) {
    if (p.time < from || p.time >= to) continue;
    n += p.count;
    sum += p.avg * p.count;
    if (p.max > max) max = p.max;
  }
  return n ? { avg: sum / n, max, count: n } : undefined;
}

export interface DiskEta {
  mountpoint: string;
  utilization: number;
  trendPerHour: number;
  samples: number;
  spanMs: number;
  hoursToFull: number;
  hoursToFail: number;
  failThreshold: number;
}

export type EtaRefusal = { mountpoint: string; why: 'short' | 'flat' | 'far' };

/**
 * Disk-full ETA from a least-squares trend, refused unless there are at least 10 samples spread over 10
 * minutes (the span of actual samples, not of the window or of the first bucket) and a rising slope that
 * fills the disk within 30 days.
 */
export function diskEta(mountpoint: string, s: SeriesData, failThreshold: number): DiskEta | EtaRefusal {
  const st = statsOf(s);
  if (!st || st.count < MIN_TREND_SAMPLES || st.lastTime - st.firstTime < MIN_TREND_SPAN_MS || st.trendPerHour === null)
    return { mountpoint, why: 'short' };
  if (st.trendPerHour <= 1e-7) return { mountpoint, why: 'flat' };
  const hoursToFull = (1 - st.last) / st.trendPerHour;
  if (hoursToFull > 30 * 24) return { mountpoint, why: 'far' };
  return {
    mountpoint,
    utilization: st.last,
    trendPerHour: st.trendPerHour,
    samples: st.count,
    spanMs: st.lastTime - st.firstTime,
    hoursToFull,
    hoursToFail: st.last < failThreshold ? (failThreshold - st.last) / st.trendPerHour : 0,
    failThreshold,
  };
}
