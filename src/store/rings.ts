import { addSample, alignDown, type Bucket, emptyBucket, mergeBucket, resetBucket } from './aggregate.js';
import { CHUNK, CHUNK_SHIFT, FLOATS, SLAB_SHIFT, type SlotPool } from './slots.js';

/**
 * The memory store's rings, compactly encoded. What is kept how, and what an answer loses by it:
 * - aggregate buckets: count exact (8 or 12 bits by tier, a larger one kept aside); min, max and last in
 *   float32 (about 7 significant digits); the mean value as a float32 offset from that float32 last, so it is as
 *   precise as float32 is for the bucket's spread, not its level (a constant series' mean is exact, one of 24 GiB
 *   moving by 1 MiB within the bucket is off by ~0.1 byte); the time of the last sample to the millisecond
 *   (a 16- or 20-bit offset from the bucket's start, which is implicit in the slot); the mean sample time exactly,
 *   as the sum of the samples' millisecond offsets back from the last (an integer: 24 bits beside an 8-bit count
 *   in 1-minute slots, a 32-bit word in 15-minute ones; a bucket whose count overflows its field keeps both aside).
 * - no within-bucket fit moments: a closed bucket enters a trend as its mean value at its mean time, weighted by
 *   its count. That is the between-bucket least-squares fit, exact for linear data (every bucket mean then lies on
 *   the line), and what a trend over many buckets is made of: within-bucket spread adds about 1/k² of the time
 *   variance over k buckets. The open bucket keeps its samples' moments in float64, and raw samples are exact,
 *   so windows answered from raw data (the last hour) keep the exact least-squares slope. Σv² is not kept:
 *   nothing reads the fit's r² (it comes back null from these buckets).
 * - raw samples: the value exact (float64, or float32 while every value is one), the time as a uint16 millisecond
 *   delta from the sample before.
 * The newest bucket of each tier stays in float64 while samples arrive and is encoded once when the next one
 * starts, so rounding happens once per bucket, not once per sample.
 * The 15-minute ring holds only buckets older than the 1-minute ring's (handed over as they leave it); the
 * recent 15-minute buckets are merged from 1-minute ones on read, so no sample is kept in both.
 * A slot is 22 bytes (1-minute) or 24 (15-minute), taken from the tier's pool (slots.ts) a chunk at a time:
 * ~52 KiB per series after a week of 5-second samples, 7 of them the last hour's raw samples.
 */

const F_MIN = 0;
const F_MAX = 1;
const F_LAST = 2;
/** The mean value less the float32 `last`: as precise as float32 is for the bucket's spread, not its level. */
const F_MEAN = 3;

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A float32 read back as the shortest decimal (6 or 7 significant digits) that is stored as the same float32,
 * else as is. A value that was a decimal of up to 6 digits (0.25, 0.001, 1234.5) comes back exactly as it was
 * recorded; any other comes back within float32 precision of it.
 */
export function fromFloat32(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  // k: decimal places of a 6-digit decimal of x's magnitude. Each candidate is rounded once each way (a power
  // of ten up to 1e22 is exact), so it is the double nearest that decimal, as if parsed from text.
  let k = 5 - Math.floor(Math.log10(Math.abs(x)));
  for (let digits = 6; digits <= 7; digits++, k++) {
    let y: number;
    if (k >= 0) y = k < POW10.length ? Math.round(x * POW10[k]!) / POW10[k]! : NaN;
    else y = -k < POW10.length ? Math.round(x / POW10[-k]!) * POW10[-k]! : NaN;
    if (Math.fround(y) === x) return y;
  }
  return x;
}

/** Every bucket a ring hands out is built here, so all share one shape and the code reading them stays fast. */
function bucketOf(
  start: number,
  count: number,
  min: number,
  max: number,
  sum: number,
  last: number,
  lastT: number,
  sumT: number,
  sumTT: number,
  sumTV: number,
): Bucket {
  return { start, count, min, max, sum, last, lastT, sumT, sumTT, sumTV, sumVV: NaN };
}

/**
 * Aggregates of one resolution in a ring indexed by time: slot = (bucket number − the first one's) mod the ring's
 * size, so adding a sample is O(1) and the bucket a slot holds is implied by its position and the newest bucket
 * number (slots skipped over are cleared as the newest advances). Slots come from the tier's pool a chunk at a
 * time, when a bucket first lands in a chunk: memory follows the data a series has, not the retention it may one
 * day fill (a mount seen for a minute costs one chunk), and nothing is ever copied.
 * A bucket leaving the ring is handed to `next` (the 1-minute ring hands its buckets to the 15-minute one), so
 * the coarser ring keeps only data older than this one holds, and its recent buckets are derived from this one's
 * on read (`foldInto`).
 */
export class TierRing {
  /** Slots the ring may hold. */
  private readonly slots: number;
  /** Slots at full retention: the oldest bucket an answer may reach (the ring may hold fewer, see `next`). */
  private readonly retentionSlots: number;
  private base = 0;
  /** Newest bucket number written. */
  private hi = -Infinity;
  /** Bucket `hi`, exact while it fills; its slot is written when a newer bucket starts. */
  private open: Bucket | undefined;
  /**
   * Global pool index of each chunk's first slot (-1 until the chunk is first written). Made at its full length:
   * an array grown an index at a time holds up to half as many spare elements again (8 bytes each).
   */
  private readonly chunks: number[];
  private taken = 0;
  /**
   * Counts over the pool's count field and their time sums (which may then overflow theirs), by slot (made on the
   * first: most series never need it).
   */
  private big: Map<number, [count: number, back: number]> | undefined;
  next: TierRing | undefined;

  /**
   * @param retention how far back answers reach
   * @param held how far back this ring itself keeps buckets (default: `retention`)
   */
  constructor(
    readonly res: number,
    private readonly pool: SlotPool,
    retention: number,
    held = retention,
  ) {
    // One extra slot so a window of exactly `retention` still finds its first, partial bucket.
    this.retentionSlots = Math.ceil(retention / res) + 1;
    this.slots = Math.max(2, Math.min(this.retentionSlots, Math.ceil(held / res) + 1));
    this.chunks = new Array<number>(Math.ceil(this.slots / CHUNK)).fill(-1);
  }

  get bytes(): number {
    return this.taken * this.pool.slotBytes;
  }

  /** Adds a sample; false when it is older than the ring holds (then it belongs to `next`). */
  add(time: number, value: number): boolean {
    return this.put(Math.floor(time / this.res), time, value, undefined);
  }

  /** Adds a finer bucket's samples (all of them in one of this ring's buckets). */
  merge(b: Bucket): boolean {
    return this.put(Math.floor(b.start / this.res), 0, 0, b);
  }

  private put(n: number, time: number, value: number, from: Bucket | undefined): boolean {
    // Older than the ring can hold next to its newest bucket: it would overwrite newer data.
    if (n <= this.hi - this.slots) return false;
    if (n === this.hi) {
      apply(this.open!, time, value, from);
      return true;
    }
    if (n > this.hi) {
      if (this.hi === -Infinity) {
        this.base = n;
        this.open = emptyBucket(n * this.res);
      } else {
        this.advance(n);
        // The open bucket's object is reused: samples arrive for years, and nothing else holds it.
        resetBucket(this.open!, n * this.res);
      }
      this.hi = n;
      apply(this.open!, time, value, from);
      return true;
    }
    // A late sample for an older bucket: decoded, updated and encoded again (rare: samples come in order).
    const b = this.decode(n) ?? emptyBucket(n * this.res);
    apply(b, time, value, from);
    this.encode(n, b);
    return true;
  }

  /** Makes `n` the newest bucket: buckets that leave go to `next`, the open one is encoded, skipped slots cleared. */
  private advance(n: number): void {
    const hi = this.hi;
    const next = this.next;
    if (next) {
      for (let k = hi - this.slots + 1; k <= Math.min(hi, n - this.slots); k++) {
        const b = k === hi ? this.open : this.decode(k, leaving);
        if (b && b.count > 0) next.merge(b);
      }
    }
    if (hi > n - this.slots) this.encode(hi, this.open!);
    for (let k = Math.max(hi + 1, n - this.slots + 1); k < n; k++) this.clear(k);
  }

  /** Buckets whose start lies in [alignDown(from), to], oldest first. */
  range(from: number, to: number): Bucket[] {
    const first = Math.max(Math.floor(from / this.res), this.hi - this.slots + 1);
    const last = Math.min(Math.floor(to / this.res), this.hi);
    const out: Bucket[] = [];
    for (let n = first; n <= last; n++) {
      const b = n === this.hi ? this.openBucket() : this.decode(n);
      if (b) out.push(b);
    }
    return out;
  }

  /**
   * Merges the buckets of [alignDown(from), to] into buckets of `res` (a multiple of this ring's), appended to
   * `into` (which holds buckets of `res`, oldest first, none newer than these).
   */
  foldInto(into: Bucket[], from: number, to: number, res: number): void {
    const first = Math.max(Math.floor(from / this.res), this.hi - this.slots + 1);
    const last = Math.min(Math.floor(to / this.res), this.hi);
    let target = into.at(-1);
    // The slot and the coarse bucket's end advance with n, rather than being computed again for each bucket.
    let slot = this.slotOf(first);
    let end = -Infinity;
    for (let n = first; n <= last; n++, slot = slot + 1 === this.slots ? 0 : slot + 1) {
      if (n * this.res >= end || !target) {
        const start = alignDown(n * this.res, res);
        end = start + res;
        if (!target || target.start < start) {
          if (target?.count === 0) into.pop();
          target = emptyBucket(start);
          into.push(target);
        } else if (target.start > start) target = into.find((x) => x.start === start) ?? target;
      }
      if (n === this.hi) mergeBucket(target, this.openBucket());
      else this.mergeSlot(n, slot, target);
    }
    // A bucket made for minutes that held nothing is dropped (an empty bucket is no bucket).
    if (into.at(-1)?.count === 0) into.pop();
  }

  /**
   * Merges closed bucket n into `into` as decode() + mergeBucket() would, without the object: a week's query
   * folds a day of 1-minute buckets.
   */
  private mergeSlot(n: number, s: number, into: Bucket): void {
    const chunk = this.chunks[s >> CHUNK_SHIFT]!;
    if (chunk < 0) return;
    const g = chunk + (s & (CHUNK - 1));
    const slab = this.pool.slabs[g >>> SLAB_SHIFT]!;
    const i = g & ((1 << SLAB_SHIFT) - 1);
    let count = this.pool.count(slab, i);
    if (count === 0) return;
    let back: number;
    if (count === this.pool.countMax) [count, back] = this.big!.get(s)!;
    else back = this.pool.back(slab, i);
    const f = slab.floats;
    const o = i * FLOATS;
    const last = f[o + F_LAST]!;
    const sum = count * (last + f[o + F_MEAN]!);
    const lastMs = this.pool.lastMs(slab, i);
    const d = (n * this.res - into.start) / 1000;
    // The bucket's mean time, in seconds from into's start.
    const t = (lastMs - back / count) / 1000 + d;
    into.count += count;
    if (f[o + F_MIN]! < into.min) into.min = f[o + F_MIN]!;
    if (f[o + F_MAX]! > into.max) into.max = f[o + F_MAX]!;
    into.sum += sum;
    into.sumT += count * t;
    into.sumTT += count * t * t;
    into.sumTV += t * sum;
    into.sumVV = NaN;
    if (lastMs / 1000 + d >= into.lastT) {
      into.last = last;
      into.lastT = lastMs / 1000 + d;
    }
  }

  /** Oldest bucket start an answer can reach at time `now`. */
  horizon(now: number): number {
    return alignDown(now, this.res) - (this.retentionSlots - 1) * this.res;
  }

  private slotOf(n: number): number {
    const s = (n - this.base) % this.slots;
    return s < 0 ? s + this.slots : s;
  }

  /** The open bucket read as if already encoded, so an answer does not depend on whether it has closed. */
  private openBucket(): Bucket {
    const b = this.open!;
    return bucketOf(
      b.start,
      b.count,
      Math.fround(b.min),
      Math.fround(b.max),
      b.sum,
      Math.fround(b.last),
      b.lastT,
      b.sumT,
      b.sumTT,
      b.sumTV,
    );
  }

  /** The bucket in n's slot, in `out` if given (else a new object), or undefined if it has none. */
  private decode(n: number, out?: Bucket): Bucket | undefined {
    const s = this.slotOf(n);
    const chunk = this.chunks[s >> CHUNK_SHIFT]!;
    if (chunk < 0) return undefined;
    const g = chunk + (s & (CHUNK - 1));
    const slab = this.pool.slabs[g >>> SLAB_SHIFT]!;
    const i = g & ((1 << SLAB_SHIFT) - 1);
    let count = this.pool.count(slab, i);
    if (count === 0) return undefined;
    let back: number;
    if (count === this.pool.countMax) [count, back] = this.big!.get(s)!;
    else back = this.pool.back(slab, i);
    const f = slab.floats;
    const o = i * FLOATS;
    const lastMs = this.pool.lastMs(slab, i);
    const sum = count * (f[o + F_LAST]! + f[o + F_MEAN]!);
    // The mean sample time, in seconds from the bucket's start.
    const mean = (lastMs - back / count) / 1000;
    // All of the bucket's samples at its mean time: its spread in time adds nothing to a fit (see the header).
    if (!out) {
      return bucketOf(
        n * this.res,
        count,
        f[o + F_MIN]!,
        f[o + F_MAX]!,
        sum,
        f[o + F_LAST]!,
        lastMs / 1000,
        count * mean,
        count * mean * mean,
        mean * sum,
      );
    }
    out.start = n * this.res;
    out.count = count;
    out.min = f[o + F_MIN]!;
    out.max = f[o + F_MAX]!;
    out.sum = sum;
    out.last = f[o + F_LAST]!;
    out.lastT = lastMs / 1000;
    out.sumT = count * mean;
    out.sumTT = count * mean * mean;
    out.sumTV = mean * sum;
    out.sumVV = NaN;
    return out;
  }

  private encode(n: number, b: Bucket): void {
    const s = this.slotOf(n);
    const c = s >> CHUNK_SHIFT;
    let chunk = this.chunks[c]!;
    if (chunk < 0) {
      const size = Math.min(CHUNK, this.slots - (c << CHUNK_SHIFT));
      chunk = this.chunks[c] = this.pool.alloc(size);
      this.taken += size;
    }
    const g = chunk + (s & (CHUNK - 1));
    const slab = this.pool.slabs[g >>> SLAB_SHIFT]!;
    const i = g & ((1 << SLAB_SHIFT) - 1);
    const f = slab.floats;
    const o = i * FLOATS;
    // Sample times are whole milliseconds; seconds × 1000 can land just below one (1.001 s → 1000.9999…).
    const lastMs = Math.round(b.lastT * 1000);
    // Σ (last − each sample's time) in ms is a whole number (sample times are whole milliseconds): rounding takes
    // off sumT's float64 noise (far below 0.5 ms), so the mean time is exact.
    const back = Math.max(0, Math.round(b.count * lastMs - b.sumT * 1000));
    if (b.count < this.pool.countMax) {
      this.pool.set(slab, i, b.count, lastMs, back);
      this.big?.delete(s);
    } else {
      this.pool.set(slab, i, this.pool.countMax, lastMs, 0);
      this.big ??= new Map();
      this.big.set(s, [b.count, back]);
    }
    f[o + F_MIN] = b.min;
    f[o + F_MAX] = b.max;
    f[o + F_LAST] = b.last;
    f[o + F_MEAN] = b.sum / b.count - f[o + F_LAST]!;
  }

  private clear(n: number): void {
    const s = this.slotOf(n);
    const chunk = this.chunks[s >> CHUNK_SHIFT]!;
    if (chunk < 0) return;
    const g = chunk + (s & (CHUNK - 1));
    this.pool.clear(this.pool.slabs[g >>> SLAB_SHIFT]!, g & ((1 << SLAB_SHIFT) - 1));
    this.big?.delete(s);
  }
}

/** Where a bucket leaving a ring is decoded on its way to the next (merged there at once, so one object serves). */
const leaving = emptyBucket(0);

function apply(b: Bucket, time: number, value: number, from: Bucket | undefined): void {
  if (from) mergeBucket(b, from);
  else addSample(b, time, value);
}

/** A time delta that does not fit 16 bits (a gap over 65.5 s, or a sample older than the one before it). */
const FAR = 0xffff;

/**
 * Raw samples of one series: a ring that grows by half up to `max` (so an hour of 5-second samples takes
 * 729 slots, not 1,024), then overwrites its oldest. Values are float64 (a trend over a few minutes of raw
 * samples is a small difference of large numbers: float32 would move it in the 5th digit), kept as float32 while
 * every value so far is one exactly (a status, a count, a whole number of bytes below 16 MiB: widened, losslessly,
 * at the first that is not). Times are uint16 millisecond deltas from the sample before; a delta that does not fit
 * is kept whole in `far`. Values and deltas share one buffer (one allocation and one buffer object per series).
 */
export class RawRing {
  private cap = 64;
  private values: Float32Array | Float64Array;
  private deltas: Uint16Array;
  /** Values are float64 (else every value so far is exactly a float32). */
  private wide = false;
  /** Absolute times of slots whose delta is FAR (made on the first one: most series never need it). */
  private far: Map<number, number> | undefined;
  private head = 0;
  private headTime = 0;
  private tailTime = 0;
  size = 0;
  /** Time of the newest sample ever dropped: raw data is complete only for windows after it. */
  lastDropped = -Infinity;

  constructor(private readonly max: number) {
    [this.values, this.deltas] = RawRing.buffers(this.cap, false);
  }

  /** Values then deltas in one buffer (float64 values first, so they are aligned). */
  private static buffers(cap: number, wide: boolean): [Float32Array | Float64Array, Uint16Array] {
    const width = wide ? 8 : 4;
    const buffer = new ArrayBuffer(cap * (width + 2));
    return [
      wide ? new Float64Array(buffer, 0, cap) : new Float32Array(buffer, 0, cap),
      new Uint16Array(buffer, cap * width, cap),
    ];
  }

  push(time: number, value: number): void {
    // Sample times are whole milliseconds (Date.now(), Date.parse()).
    const t = Math.round(time);
    if (this.size === this.cap) {
      if (this.cap < this.max) this.resize(Math.min(this.max, Math.ceil(this.cap * 1.5)), false);
      else this.dropOldest();
    }
    if (!this.wide && Math.fround(value) !== value) this.resize(this.cap, true);
    const i = (this.head + this.size) % this.cap;
    const delta = t - this.tailTime;
    if (this.size === 0) {
      // The head's own delta is never read: its time is headTime.
      this.headTime = t;
      this.deltas[i] = 0;
    } else if (delta >= 0 && delta < FAR) this.deltas[i] = delta;
    else {
      this.deltas[i] = FAR;
      this.far ??= new Map();
      this.far.set(i, t);
    }
    this.tailTime = t;
    this.values[i] = value;
    this.size++;
  }

  evictBefore(time: number): void {
    while (this.size > 0 && this.headTime < time) this.dropOldest();
  }

  /** Raw data holds every sample taken at or after `from`. */
  covers(from: number): boolean {
    return this.lastDropped < from;
  }

  *range(from: number, to: number): Generator<[number, number]> {
    const cap = this.cap;
    let t = this.headTime;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % cap;
      if (k > 0) t = this.timeAt(i, t);
      if (t >= from && t <= to) yield [t, this.values[i]!];
    }
  }

  get bytes(): number {
    return this.values.buffer.byteLength;
  }

  private timeAt(i: number, previous: number): number {
    const d = this.deltas[i]!;
    return d === FAR ? this.far!.get(i)! : previous + d;
  }

  private dropOldest(): void {
    const t = this.headTime;
    if (t > this.lastDropped) this.lastDropped = t;
    this.far?.delete(this.head);
    this.head = (this.head + 1) % this.cap;
    this.size--;
    if (this.size > 0) this.headTime = this.timeAt(this.head, t);
  }

  /** Moves the samples, oldest first, to new buffers of `cap` slots (float64 values when `wide` or already so). */
  private resize(cap: number, wide: boolean): void {
    this.wide ||= wide;
    const [values, deltas] = RawRing.buffers(cap, this.wide);
    const far = this.far ? [...this.far] : [];
    this.far?.clear();
    const old = this.cap;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % old;
      deltas[k] = this.deltas[i]!;
      values[k] = this.values[i]!;
    }
    for (const [i, t] of far) this.far!.set((i - this.head + old) % old, t);
    this.values = values;
    this.deltas = deltas;
    this.cap = cap;
    this.head = 0;
  }
}
