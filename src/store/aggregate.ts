import type { Resolution, SeriesPoint, SeriesSummary } from './types.js';

/**
 * One aggregate bucket. Besides min/avg/max/count it keeps the sufficient statistics of a least-squares
 * fit (Σt, Σt², Σtv, Σv², t in seconds from the bucket's start), so a trend or a disk-full ETA computed
 * from 15-minute buckets is the same fit as over the raw samples, not an approximation of it.
 */
export interface Bucket {
  start: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  last: number;
  /** Seconds from `start` to the last sample. */
  lastT: number;
  sumT: number;
  sumTT: number;
  sumTV: number;
  /** NaN where the store does not keep it (the memory store): a fit's r² is then null. */
  sumVV: number;
}

export const RESOLUTION_MS: Record<Resolution, number> = { raw: 1000, '1m': 60_000, '15m': 900_000 };

export const alignDown = (t: number, res: number): number => Math.floor(t / res) * res;

export function emptyBucket(start: number): Bucket {
  return {
    start,
    count: 0,
    min: Infinity,
    max: -Infinity,
    sum: 0,
    last: NaN,
    lastT: -Infinity,
    sumT: 0,
    sumTT: 0,
    sumTV: 0,
    sumVV: 0,
  };
}

/** Makes `b` an empty bucket starting at `start` (as emptyBucket, without a new object). */
export function resetBucket(b: Bucket, start: number): void {
  b.start = start;
  b.count = 0;
  b.min = Infinity;
  b.max = -Infinity;
  b.sum = 0;
  b.last = NaN;
  b.lastT = -Infinity;
  b.sumT = 0;
  b.sumTT = 0;
  b.sumTV = 0;
  b.sumVV = 0;
}

export function addSample(b: Bucket, time: number, value: number): void {
  const t = (time - b.start) / 1000;
  b.count++;
  if (value < b.min) b.min = value;
  if (value > b.max) b.max = value;
  b.sum += value;
  b.sumT += t;
  b.sumTT += t * t;
  b.sumTV += t * value;
  b.sumVV += value * value;
  if (t >= b.lastT) {
    b.last = value;
    b.lastT = t;
  }
}

/** Adds bucket `b`'s samples to `into`, a coarser bucket holding b's start (its sums are moved to into's start). */
export function mergeBucket(into: Bucket, b: Bucket): void {
  if (b.count === 0) return;
  const d = (b.start - into.start) / 1000;
  into.count += b.count;
  if (b.min < into.min) into.min = b.min;
  if (b.max > into.max) into.max = b.max;
  into.sum += b.sum;
  into.sumT += b.sumT + b.count * d;
  into.sumTT += b.sumTT + 2 * d * b.sumT + b.count * d * d;
  into.sumTV += b.sumTV + d * b.sum;
  into.sumVV += b.sumVV;
  if (b.lastT + d >= into.lastT) {
    into.last = b.last;
    into.lastT = b.lastT + d;
  }
}

/** A fitted line: value = intercept + slope · hours since `origin`. */
export interface Fit {
  origin: number;
  slopePerHour: number;
  intercept: number;
  /** Coefficient of determination, 0..1 (1 when every point is on the line); null when values are constant. */
  r2: number | null;
  count: number;
}

/**
 * Folds buckets (or single samples) into window totals. x is in hours since `origin`, which is moved to the
 * first data added: with x small next to the spread of the data, n·Σx² − (Σx)² does not cancel away.
 */
export class Accumulator {
  count = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;
  last = NaN;
  lastTime = -Infinity;
  /** The first sample's time; from a bucket, the latest it can be (its mean time), so spans are never overstated. */
  firstTime = Infinity;
  private sx = 0;
  private sxx = 0;
  private sxv = 0;
  private svv = 0;

  private anchored = false;

  constructor(public origin: number) {}

  private anchor(time: number): void {
    if (this.anchored) return;
    this.anchored = true;
    this.origin = time;
  }

  addSample(time: number, value: number): void {
    this.anchor(time);
    const x = (time - this.origin) / 3_600_000;
    if (time < this.firstTime) this.firstTime = time;
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.sum += value;
    this.sx += x;
    this.sxx += x * x;
    this.sxv += x * value;
    this.svv += value * value;
    if (time >= this.lastTime) {
      this.last = value;
      this.lastTime = time;
    }
  }

  addBucket(b: Bucket): void {
    if (b.count === 0) return;
    this.anchor(b.start + (b.sumT / b.count) * 1000);
    const a = (b.start - this.origin) / 3_600_000;
    const h = 1 / 3600;
    const mean = b.start + Math.round((b.sumT / b.count) * 1000);
    if (mean < this.firstTime) this.firstTime = mean;
    this.count += b.count;
    if (b.min < this.min) this.min = b.min;
    if (b.max > this.max) this.max = b.max;
    this.sum += b.sum;
    // Shift each bucket's sums from its own start (seconds) to the window origin (hours).
    this.sx += b.count * a + b.sumT * h;
    this.sxx += b.count * a * a + 2 * a * b.sumT * h + b.sumTT * h * h;
    this.sxv += a * b.sum + b.sumTV * h;
    this.svv += b.sumVV;
    // Sample times are whole milliseconds; seconds × 1000 can land just below one (1.001 s → 1000.9999…).
    const lastTime = b.start + Math.round(b.lastT * 1000);
    if (lastTime >= this.lastTime) {
      this.last = b.last;
      this.lastTime = lastTime;
    }
  }

  fit(): Fit | null {
    const n = this.count;
    if (n < 2) return null;
    const dxx = n * this.sxx - this.sx * this.sx;
    // Every sample at (almost) the same instant: no slope to speak of.
    if (!(dxx > 1e-12 * Math.max(1, n * this.sxx))) return null;
    const dxv = n * this.sxv - this.sx * this.sum;
    const slope = dxv / dxx;
    const intercept = (this.sum - slope * this.sx) / n;
    // NaN when a bucket came without Σv², and then no comparison below holds: r² is null.
    const dvv = n * this.svv - this.sum * this.sum;
    const r2 = dvv > 1e-12 * Math.max(1, n * this.svv) ? Math.min(1, Math.max(0, (dxv * dxv) / (dxx * dvv))) : null;
    return { origin: this.origin, slopePerHour: slope, intercept, r2, count: n };
  }
}

/** The q-quantile with linear interpolation between closest ranks (numpy's default, R type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Nearest-rank quantile of values each standing for `weight` samples. */
export function weightedQuantile(items: { value: number; weight: number }[], q: number): number {
  const sorted = [...items].sort((a, b) => a.value - b.value);
  const total = sorted.reduce((s, i) => s + i.weight, 0);
  const rank = q * total;
  let seen = 0;
  for (const i of sorted) {
    seen += i.weight;
    if (seen >= rank) return i.value;
  }
  return sorted.at(-1)?.value ?? NaN;
}

export function summarize(acc: Accumulator, p95: number, p95Estimated: boolean): SeriesSummary | null {
  if (acc.count === 0) return null;
  return {
    count: acc.count,
    min: acc.min,
    avg: acc.sum / acc.count,
    p95,
    p95Estimated,
    max: acc.max,
    last: acc.last,
    firstTime: new Date(Math.min(acc.firstTime, acc.lastTime)).toISOString(),
    lastTime: new Date(acc.lastTime).toISOString(),
    trendPerHour: acc.fit()?.slopePerHour ?? null,
  };
}

/** Groups buckets (already in the window, in any order) into points `step` apart, aligned to the epoch. */
export function downsample(buckets: Iterable<Bucket>, stepMs: number): SeriesPoint[] {
  const groups = new Map<number, { min: number; max: number; sum: number; count: number }>();
  for (const b of buckets) {
    if (b.count === 0) continue;
    const key = alignDown(b.start, stepMs);
    const g = groups.get(key);
    if (!g) groups.set(key, { min: b.min, max: b.max, sum: b.sum, count: b.count });
    else {
      if (b.min < g.min) g.min = b.min;
      if (b.max > g.max) g.max = b.max;
      g.sum += b.sum;
      g.count += b.count;
    }
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, g]) => ({
      time: new Date(t).toISOString(),
      min: g.min,
      avg: g.sum / g.count,
      max: g.max,
      count: g.count,
    }));
}

const NICE_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
].map((s) => s * 1000);

/**
 * The step for a query: the requested one, or the window split into `maxPoints`; never finer than the
 * resolution, always a whole number of its buckets, and raised (to a round value) when it would give more
 * than `maxPoints` points. Steps are aligned to the epoch, so a window can touch one more step than it
 * spans: a step of at least window / (maxPoints − 1) keeps within the limit.
 */
export function chooseStep(
  windowMs: number,
  resMs: number,
  maxPoints: number,
  requested?: number,
): { stepMs: number; adjusted: boolean } {
  const need = Math.max(resMs, Math.ceil(windowMs / Math.max(1, maxPoints - 1)));
  const round = (min: number) => NICE_STEPS.find((s) => s >= min && s % resMs === 0) ?? Math.ceil(min / resMs) * resMs;
  if (requested !== undefined) {
    const r = Math.max(resMs, Math.ceil(requested / resMs) * resMs);
    if (r >= need) return { stepMs: r, adjusted: r !== requested };
    return { stepMs: round(need), adjusted: true };
  }
  return { stepMs: round(need), adjusted: false };
}
