import type { Logger } from 'pino';
import type { HealthEvent } from '../monitor/schema.js';
import {
  Accumulator,
  alignDown,
  chooseStep,
  downsample,
  emptyBucket,
  quantileSorted,
  RESOLUTION_MS,
  summarize,
  weightedQuantile,
  type Bucket,
} from './aggregate.js';
import { ProcessSnapshots, RecentEvents } from './recent.js';
import { unitOf } from './series.js';
import {
  UnknownSeriesError,
  validateRange,
  type EventQuery,
  type History,
  type HistoryQuery,
  type HistoryResult,
  type ProcessSnapshot,
  type Resolution,
  type SeriesInfo,
  type StoreStats,
} from './types.js';

interface Retention {
  raw: number;
  minute: number;
  quarter: number;
}

export interface MemoryHistoryOptions {
  retention: Retention;
  /** Raw samples kept per series at most; a series sampled faster than this allows keeps less than `retention.raw`. */
  maxRawPerSeries: number;
  /** Series beyond this many are not kept (their samples are counted as dropped). */
  maxSeries: number;
  eventsMax: number;
  log?: Logger;
  /** Injectable clock (ms) for tests. */
  clock?: () => number;
}

const FIELDS = 11;
const [START, COUNT, MIN, MAX, SUM, LAST, LAST_T, SUM_T, SUM_TT, SUM_TV, SUM_VV] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
] as const;

/**
 * Aggregates of one resolution in a ring indexed by time: slot = bucket number mod capacity, so adding a
 * sample is O(1) and a slot still holding an older bucket is simply overwritten. The ring starts small and
 * doubles while the series' data spans more buckets than it holds, up to retention: memory follows the data a
 * series has, not the retention it may one day fill (a mount seen for a minute costs a minute of buckets).
 */
class TierRing {
  data: Float64Array;
  /** Slots at full retention; the ring never grows past it. */
  readonly slots: number;
  private cap: number;
  /** Oldest and newest bucket numbers written: while cap < slots, every bucket held lies in [lo, hi]. */
  private lo = Infinity;
  private hi = -Infinity;

  constructor(
    readonly res: number,
    retention: number,
    initialSlots = 16,
  ) {
    // One extra slot so a window of exactly `retention` still finds its first, partial bucket.
    this.slots = Math.ceil(retention / res) + 1;
    this.cap = Math.min(this.slots, initialSlots);
    this.data = new Float64Array(this.cap * FIELDS);
  }

  add(time: number, value: number): void {
    const n = Math.floor(time / this.res);
    // Older than the ring can hold next to its newest bucket: it would overwrite newer data.
    if (n <= this.hi - this.slots) return;
    if (n < this.lo) this.lo = n;
    if (n > this.hi) this.hi = n;
    if (this.cap < this.slots) {
      const span = this.hi - Math.max(this.lo, this.hi - this.slots + 1) + 1;
      if (span > this.cap) this.grow(Math.min(this.slots, Math.max(span, this.cap * 2)));
    }
    const start = n * this.res;
    const o = (n % this.cap) * FIELDS;
    const d = this.data;
    if (d[o + START] !== start || d[o + COUNT] === 0) {
      d[o + START] = start;
      d[o + COUNT] = 0;
      d[o + MIN] = Infinity;
      d[o + MAX] = -Infinity;
      d[o + SUM] = d[o + SUM_T] = d[o + SUM_TT] = d[o + SUM_TV] = d[o + SUM_VV] = 0;
      d[o + LAST_T] = -Infinity;
    }
    const t = (time - start) / 1000;
    d[o + COUNT]!++;
    if (value < d[o + MIN]!) d[o + MIN] = value;
    if (value > d[o + MAX]!) d[o + MAX] = value;
    d[o + SUM]! += value;
    d[o + SUM_T]! += t;
    d[o + SUM_TT]! += t * t;
    d[o + SUM_TV]! += t * value;
    d[o + SUM_VV]! += value * value;
    if (t >= d[o + LAST_T]!) {
      d[o + LAST] = value;
      d[o + LAST_T] = t;
    }
  }

  /** Re-places every held bucket at its slot in a larger ring; the span check guarantees no two collide. */
  private grow(cap: number): void {
    const old = this.data;
    const data = new Float64Array(cap * FIELDS);
    for (let o = 0; o < old.length; o += FIELDS) {
      if (old[o + COUNT] === 0) continue;
      const n = Math.round(old[o + START]! / this.res);
      if (n < this.hi - this.slots + 1) continue;
      data.set(old.subarray(o, o + FIELDS), (n % cap) * FIELDS);
    }
    this.data = data;
    this.cap = cap;
  }

  bucket(start: number): Bucket | undefined {
    const o = (Math.floor(start / this.res) % this.cap) * FIELDS;
    const d = this.data;
    if (d[o + START] !== start || d[o + COUNT] === 0) return undefined;
    return {
      start,
      count: d[o + COUNT]!,
      min: d[o + MIN]!,
      max: d[o + MAX]!,
      sum: d[o + SUM]!,
      last: d[o + LAST]!,
      lastT: d[o + LAST_T]!,
      sumT: d[o + SUM_T]!,
      sumTT: d[o + SUM_TT]!,
      sumTV: d[o + SUM_TV]!,
      sumVV: d[o + SUM_VV]!,
    };
  }

  /** Buckets whose start lies in [alignDown(from), to], oldest first. */
  *range(from: number, to: number): Generator<Bucket> {
    for (let s = alignDown(from, this.res); s <= to; s += this.res) {
      const b = this.bucket(s);
      if (b) yield b;
    }
  }

  /** Oldest bucket start the ring can still hold at time `now`. */
  horizon(now: number): number {
    return alignDown(now, this.res) - (this.slots - 1) * this.res;
  }
}

/** Raw samples of one series: a ring that grows by doubling up to `max`, then overwrites its oldest. */
class RawRing {
  times = new Float64Array(64);
  values = new Float64Array(64);
  private head = 0;
  size = 0;
  /** Time of the newest sample ever dropped: raw data is complete only for windows after it. */
  lastDropped = -Infinity;

  constructor(private readonly max: number) {}

  push(time: number, value: number): void {
    const cap = this.times.length;
    if (this.size === cap) {
      if (cap < this.max) this.grow(Math.min(this.max, cap * 2));
      else this.dropOldest();
    }
    const i = (this.head + this.size) % this.times.length;
    this.times[i] = time;
    this.values[i] = value;
    this.size++;
  }

  evictBefore(time: number): void {
    while (this.size > 0 && this.times[this.head]! < time) this.dropOldest();
  }

  /** Raw data holds every sample taken at or after `from`. */
  covers(from: number): boolean {
    return this.lastDropped < from;
  }

  *range(from: number, to: number): Generator<[number, number]> {
    const cap = this.times.length;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % cap;
      const t = this.times[i]!;
      if (t >= from && t <= to) yield [t, this.values[i]!];
    }
  }

  get bytes(): number {
    return this.times.byteLength + this.values.byteLength;
  }

  private dropOldest(): void {
    const t = this.times[this.head]!;
    if (t > this.lastDropped) this.lastDropped = t;
    this.head = (this.head + 1) % this.times.length;
    this.size--;
  }

  private grow(cap: number): void {
    const times = new Float64Array(cap);
    const values = new Float64Array(cap);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % this.times.length;
      times[k] = this.times[i]!;
      values[k] = this.values[i]!;
    }
    this.times = times;
    this.values = values;
    this.head = 0;
  }
}

interface SeriesState {
  raw: RawRing;
  minute: TierRing;
  quarter: TierRing;
}

/** Rough per-series cost of the Map entry, the objects and the name, on top of the typed arrays. */
const SERIES_OVERHEAD_BYTES = 600;

/**
 * The default history: per-series rings with three tiers (raw for `retention.raw`, 1-minute aggregates for
 * `retention.minute`, 15-minute for `retention.quarter`). Every sample updates all three at once, so the
 * aggregates are exact and no downsampling job is needed. Memory is bounded by `maxSeries` and the ring
 * sizes, and reported by `stats().bytes`. Nothing survives a restart: use the postgres store for that.
 */
export class MemoryHistory implements History {
  readonly kind = 'memory';
  private readonly map = new Map<string, SeriesState>();
  private readonly clock: () => number;
  private readonly recent: RecentEvents;
  private readonly processes = new ProcessSnapshots();
  private dropped = 0;
  private written = 0;
  private readonly refused = new Set<string>();

  constructor(private readonly options: MemoryHistoryOptions) {
    this.clock = options.clock ?? Date.now;
    this.recent = new RecentEvents(options.eventsMax);
  }

  async start(): Promise<void> {}

  append(time: number, values: ReadonlyArray<readonly [string, number]>): void {
    const horizon = this.clock() - this.options.retention.raw;
    for (const [name, value] of values) {
      if (!Number.isFinite(value)) continue;
      let s = this.map.get(name);
      if (!s) {
        if (this.map.size >= this.options.maxSeries) {
          this.dropped++;
          // One line per refused series, not per sample; the count keeps growing in stats().
          if (!this.refused.has(name) && this.refused.size < 100) {
            this.refused.add(name);
            this.options.log?.warn(
              { series: name, maxSeries: this.options.maxSeries },
              'history: series limit reached, samples of this series are dropped',
            );
          }
          continue;
        }
        s = {
          raw: new RawRing(this.options.maxRawPerSeries),
          minute: new TierRing(60_000, this.options.retention.minute),
          quarter: new TierRing(900_000, this.options.retention.quarter),
        };
        this.map.set(name, s);
      }
      s.raw.push(time, value);
      s.raw.evictBefore(horizon);
      s.minute.add(time, value);
      s.quarter.add(time, value);
      this.written++;
    }
  }

  recordEvent(event: HealthEvent): void {
    this.recent.push(event);
  }

  async query(q: HistoryQuery): Promise<HistoryResult> {
    validateRange(q, this.clock());
    const s = this.map.get(q.series);
    if (!s) throw new UnknownSeriesError(q.series, [...this.map.keys()].sort());
    return queryRings(s, q, this.clock(), this.options.retention);
  }

  async series(): Promise<SeriesInfo[]> {
    return [...this.map.keys()].sort().map((name) => ({ name, unit: unitOf(name) }));
  }

  async events(q: EventQuery = {}): Promise<HealthEvent[]> {
    validateRange({ from: q.sinceMs, to: q.untilMs, limit: q.limit }, this.clock());
    return this.recent.list(q);
  }

  recordProcesses(snapshot: ProcessSnapshot): void {
    this.processes.push(snapshot);
  }

  processesNear(time: number, withinMs: number): ProcessSnapshot | undefined {
    return this.processes.near(time, withinMs);
  }

  stats(): StoreStats {
    let bytes = 0;
    for (const s of this.map.values())
      bytes += s.raw.bytes + s.minute.data.byteLength + s.quarter.data.byteLength + SERIES_OVERHEAD_BYTES;
    return {
      kind: 'memory',
      series: this.map.size,
      bytes,
      buffered: 0,
      dropped: this.dropped,
      written: this.written,
      available: true,
    };
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Answers a query from one series' rings: raw when it holds the whole window, else the finest tier that does. */
function queryRings(s: SeriesState, q: HistoryQuery, now: number, retention: Retention): HistoryResult {
  const maxPoints = q.maxPoints ?? 120;
  let from = q.from;
  const to = q.to;
  let resolution: Resolution;
  if (s.raw.covers(from) && from >= now - retention.raw) resolution = 'raw';
  else if (from >= s.minute.horizon(now)) resolution = '1m';
  else {
    resolution = '15m';
    from = Math.max(from, s.quarter.horizon(now));
  }
  const res = RESOLUTION_MS[resolution];
  if (resolution !== 'raw') from = alignDown(from, res);
  const { stepMs, adjusted } = chooseStep(Math.max(0, to - from), res, maxPoints, q.step);
  const acc = new Accumulator(from);
  let buckets: Bucket[];
  let p95: number;
  if (resolution === 'raw') {
    const values: number[] = [];
    // Each raw sample is a bucket of one for downsampling; grouping by step happens in downsample().
    const byStep = new Map<number, Bucket>();
    for (const [t, v] of s.raw.range(from, to)) {
      acc.addSample(t, v);
      values.push(v);
      const key = alignDown(t, stepMs);
      let b = byStep.get(key);
      if (!b) byStep.set(key, (b = emptyBucket(key)));
      b.count++;
      if (v < b.min) b.min = v;
      if (v > b.max) b.max = v;
      b.sum += v;
    }
    buckets = [...byStep.values()];
    values.sort((a, b) => a - b);
    p95 = quantileSorted(values, 0.95);
  } else {
    const ring = resolution === '1m' ? s.minute : s.quarter;
    buckets = [...ring.range(from, to)];
    for (const b of buckets) acc.addBucket(b);
    p95 = weightedQuantile(
      buckets.map((b) => ({ value: b.sum / b.count, weight: b.count })),
      0.95,
    );
  }
  return {
    series: q.series,
    unit: unitOf(q.series),
    resolution,
    from,
    to,
    stepMs,
    stepAdjusted: adjusted,
    summary: summarize(acc, p95, resolution !== 'raw'),
    points: downsample(buckets, stepMs),
  };
}
