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
import { fromFloat32, RawRing, TierRing } from './rings.js';
import { SlotPool } from './slots.js';
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

interface SeriesState {
  raw: RawRing;
  minute: TierRing;
  quarter: TierRing;
}

/** Rough per-series cost of the Map entry, the objects and the name, on top of the typed arrays. */
const SERIES_OVERHEAD_BYTES = 600;
const MINUTE = 60_000;
const QUARTER = 900_000;

/**
 * The default history: per-series rings with three tiers (raw for `retention.raw`, 1-minute aggregates for
 * `retention.minute`, 15-minute for `retention.quarter`). Every sample updates the raw ring and the 1-minute
 * ring, whose buckets pass to the 15-minute ring as they leave it, so no downsampling job is needed and counts,
 * means and trends come from every sample; buckets are compactly encoded (rings.ts says what is stored how).
 * Memory is bounded by `maxSeries` and the ring sizes, and reported by `stats().bytes`. Nothing survives a
 * restart: use the postgres store for that.
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
  private readonly minutePool = new SlotPool(MINUTE);
  private readonly quarterPool = new SlotPool(QUARTER);

  constructor(private readonly options: MemoryHistoryOptions) {
    this.clock = options.clock ?? Date.now;
    this.recent = new RecentEvents(options.eventsMax);
  }

  private newSeries(): SeriesState {
    const { minute, quarter } = this.options.retention;
    const m = new TierRing(MINUTE, this.minutePool, minute);
    // The 15-minute ring keeps only what the 1-minute ring no longer holds (its buckets are handed over as they
    // leave); the recent 15-minute buckets are merged from 1-minute ones on read. One more slot for the bucket
    // half in each ring.
    const q = new TierRing(QUARTER, this.quarterPool, quarter, quarter - Math.floor(minute / QUARTER) * QUARTER);
    m.next = q;
    return { raw: new RawRing(this.options.maxRawPerSeries), minute: m, quarter: q };
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
        s = this.newSeries();
        this.map.set(name, s);
      }
      s.raw.push(time, value);
      s.raw.evictBefore(horizon);
      // Older than the 1-minute ring holds (a late sample): straight to the 15-minute ring.
      if (!s.minute.add(time, value)) s.quarter.add(time, value);
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
    for (const s of this.map.values()) bytes += s.raw.bytes + s.minute.bytes + s.quarter.bytes + SERIES_OVERHEAD_BYTES;
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
      if (!b) {
        b = emptyBucket(key);
        byStep.set(key, b);
      }
      b.count++;
      if (v < b.min) b.min = v;
      if (v > b.max) b.max = v;
      b.sum += v;
    }
    buckets = [...byStep.values()];
    values.sort((a, b) => a - b);
    p95 = quantileSorted(values, 0.95);
  } else {
    if (resolution === '1m') buckets = s.minute.range(from, to);
    else {
      // Whole 15-minute buckets, as the 15-minute ring would hold them: older ones from it, recent ones merged.
      buckets = s.quarter.range(from, to);
      s.minute.foldInto(buckets, from, alignDown(to, res) + res - 1, res);
    }
    for (const b of buckets) acc.addBucket(b);
    p95 = weightedQuantile(
      buckets.map((b) => ({ value: b.sum / b.count, weight: b.count })),
      0.95,
    );
  }
  const summary = summarize(acc, p95, resolution !== 'raw');
  const points = downsample(buckets, stepMs);
  if (resolution !== 'raw') {
    // Bucket min, max and last are float32: read back as the decimals they were recorded as (see rings.ts).
    if (summary) {
      summary.min = fromFloat32(summary.min);
      summary.max = fromFloat32(summary.max);
      summary.last = fromFloat32(summary.last);
    }
    for (const p of points) {
      p.min = fromFloat32(p.min);
      p.max = fromFloat32(p.max);
    }
  }
  return {
    series: q.series,
    unit: unitOf(q.series),
    resolution,
    from,
    to,
    stepMs,
    stepAdjusted: adjusted,
    summary,
    points,
  };
}
