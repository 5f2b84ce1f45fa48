import { addSample, alignDown, type Bucket, emptyBucket } from './aggregate.js';

/**
 * The memory store's rings, compactly encoded. What is kept how, and what an answer loses by it:
 * - aggregate buckets: count exact (uint8, widened to uint16 and uint32 as a bucket first needs it); the sum in
 *   float64, so averages are as exact as before; min, max and last in float32 (about 7 significant digits); the
 *   time of the last sample to the millisecond (uint16 or uint32 offset from the bucket's start, which is implicit
 *   in the slot); the mean sample time as a float32 offset back from the last (0 for one sample, so one-sample
 *   buckets stay exact).
 * - no within-bucket fit moments: a closed bucket enters a trend as its mean value at its mean time, weighted by
 *   its count. That is the between-bucket least-squares fit, exact for linear data (every bucket mean then lies on
 *   the line), and what a trend over many buckets is made of: within-bucket spread adds about 1/k² of the time
 *   variance over k buckets. The open bucket keeps its samples' moments in float64, and raw samples are exact,
 *   so windows answered from raw data (the last hour) keep the exact least-squares slope. Σv² is not kept:
 *   nothing reads the fit's r² (it comes back null from these buckets).
 * - raw samples: the value in float64 (exact), the time as a uint16 millisecond delta from the sample before.
 * The newest bucket of each tier stays in float64 while samples arrive and is encoded once when the next one
 * starts, so rounding happens once per bucket, not once per sample.
 * A slot is 27 bytes (1-minute) or 29 (15-minute) with 5-second samples: ~65 KiB per series after a week. Less
 * would take a float32 mean (averages off in the 8th digit).
 */

/** float32 fields per slot. */
const F = 4;
const F_MIN = 0;
const F_MAX = 1;
const F_LAST = 2;
/** Milliseconds from the bucket's mean sample time to its last: 0 for one sample, so one-sample buckets stay exact. */
const F_BACK = 3;
const U8 = 0xff;
const U16 = 0xffff;

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
 * Aggregates of one resolution in a ring indexed by time: slot = bucket number mod capacity, so adding a
 * sample is O(1) and the bucket a slot holds is implied by its position and the newest bucket number (slots
 * skipped over are cleared as the newest advances). The ring starts small and grows while the series' data
 * spans more buckets than it holds, up to retention: memory follows the data a series has, not the retention
 * it may one day fill (a mount seen for a minute costs a minute of buckets).
 */
export class TierRing {
  /** Slots at full retention; the ring never grows past it. */
  readonly slots: number;
  private cap: number;
  /** Oldest and newest bucket numbers written: while cap < slots, every bucket held lies in [lo, hi]. */
  private lo = Infinity;
  private hi = -Infinity;
  /** Bucket `hi`, exact while it fills; its slot is written when a newer bucket starts. */
  private open: Bucket | undefined;
  private buffer!: ArrayBuffer;
  private sums!: Float64Array;
  private floats!: Float32Array;
  private lastMs!: Uint16Array | Uint32Array;
  private counts!: Uint8Array | Uint16Array | Uint32Array;
  /** Bytes per count: 1, widened to 2 or 4 when a bucket first holds more samples than fit. */
  private countBytes = 1;
  /** A bucket longer than 65.536 s needs 32 bits for the offset of its last sample. */
  private readonly wideTimes: boolean;

  constructor(
    readonly res: number,
    retention: number,
    initialSlots = 8,
  ) {
    // One extra slot so a window of exactly `retention` still finds its first, partial bucket.
    this.slots = Math.ceil(retention / res) + 1;
    this.cap = Math.min(this.slots, initialSlots);
    this.wideTimes = res > U16 + 1;
    this.allocate(this.cap);
  }

  get bytes(): number {
    return this.buffer.byteLength;
  }

  add(time: number, value: number): void {
    const n = Math.floor(time / this.res);
    // Older than the ring can hold next to its newest bucket: it would overwrite newer data.
    if (n <= this.hi - this.slots) return;
    if (n === this.hi) {
      addSample(this.open!, time, value);
      return;
    }
    const hi = Math.max(this.hi, n);
    const lo = Math.min(this.lo, n);
    if (this.cap < this.slots) {
      const span = hi - Math.max(lo, hi - this.slots + 1) + 1;
      if (span > this.cap) this.grow(Math.min(this.slots, Math.max(span, this.cap * 2)), hi);
    }
    this.lo = lo;
    if (n > this.hi) {
      if (this.open && this.hi > n - this.cap) this.encode(this.hi, this.open);
      // Slots between the old newest bucket and n hold buckets that have now left the ring.
      for (let k = Math.max(this.hi + 1, n - this.cap + 1); k < n; k++) this.counts[this.slotOf(k)] = 0;
      this.hi = n;
      this.open = emptyBucket(n * this.res);
      addSample(this.open, time, value);
      return;
    }
    // A late sample for an older bucket: decoded, updated and encoded again (rare: samples come in order).
    const b = this.decode(n) ?? emptyBucket(n * this.res);
    addSample(b, time, value);
    this.encode(n, b);
  }

  /** Buckets whose start lies in [alignDown(from), to], oldest first. */
  *range(from: number, to: number): Generator<Bucket> {
    // Only bucket numbers the ring can hold are visited: (hi − cap, hi], and none older than retention.
    const first = Math.max(Math.floor(from / this.res), this.hi - this.cap + 1, this.hi - this.slots + 1);
    const last = Math.min(Math.floor(to / this.res), this.hi);
    for (let n = first; n <= last; n++) {
      const b = n === this.hi ? this.openBucket() : this.decode(n);
      if (b) yield b;
    }
  }

  /** Oldest bucket start the ring can still hold at time `now`. */
  horizon(now: number): number {
    return alignDown(now, this.res) - (this.slots - 1) * this.res;
  }

  private slotOf(n: number): number {
    const s = n % this.cap;
    return s < 0 ? s + this.cap : s;
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

  private decode(n: number): Bucket | undefined {
    const s = this.slotOf(n);
    const count = this.counts[s]!;
    if (count === 0) return undefined;
    const f = this.floats;
    const o = s * F;
    const lastMs = this.lastMs[s]!;
    const sum = this.sums[s]!;
    const mean = (lastMs - f[o + F_BACK]!) / 1000;
    // All of the bucket's samples at its mean time: its spread in time adds nothing to a fit (see the header).
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

  private encode(n: number, b: Bucket): void {
    const s = this.slotOf(n);
    const need = b.count > U16 ? 4 : b.count > U8 ? 2 : 1;
    if (need > this.countBytes) {
      this.countBytes = need;
      this.allocate(this.cap, this.cap);
    }
    const f = this.floats;
    const o = s * F;
    // Sample times are whole milliseconds; seconds × 1000 can land just below one (1.001 s → 1000.9999…).
    const lastMs = Math.round(b.lastT * 1000);
    const mean = b.sumT / b.count;
    this.counts[s] = b.count;
    this.lastMs[s] = lastMs;
    this.sums[s] = b.sum;
    f[o + F_MIN] = b.min;
    f[o + F_MAX] = b.max;
    f[o + F_LAST] = b.last;
    f[o + F_BACK] = lastMs - mean * 1000;
  }

  /**
   * Lays out the slots of one ring in one buffer (sums, floats, offsets, counts); with `keep`, copies the
   * first `keep` slots of the old layout over (same positions: used when only the count width changes).
   */
  private allocate(cap: number, keep = 0): void {
    const old = this.buffer && { sums: this.sums, floats: this.floats, lastMs: this.lastMs, counts: this.counts };
    const timeBytes = this.wideTimes ? 4 : 2;
    const countBytes = this.countBytes;
    const floatsAt = cap * 8;
    const timesAt = floatsAt + cap * F * 4;
    const countsAt = Math.ceil((timesAt + cap * timeBytes) / countBytes) * countBytes;
    const buffer = new ArrayBuffer(countsAt + cap * countBytes);
    this.buffer = buffer;
    this.sums = new Float64Array(buffer, 0, cap);
    this.floats = new Float32Array(buffer, floatsAt, cap * F);
    this.lastMs = this.wideTimes ? new Uint32Array(buffer, timesAt, cap) : new Uint16Array(buffer, timesAt, cap);
    this.counts =
      countBytes === 4
        ? new Uint32Array(buffer, countsAt, cap)
        : countBytes === 2
          ? new Uint16Array(buffer, countsAt, cap)
          : new Uint8Array(buffer, countsAt, cap);
    if (old && keep > 0) {
      this.sums.set(old.sums.subarray(0, keep));
      this.floats.set(old.floats.subarray(0, keep * F));
      this.lastMs.set(old.lastMs.subarray(0, keep));
      this.counts.set(old.counts.subarray(0, keep));
    }
  }

  /** Re-places every held bucket at its slot in a larger ring; the span check guarantees no two collide. */
  private grow(cap: number, hi: number): void {
    const old = { sums: this.sums, floats: this.floats, lastMs: this.lastMs, counts: this.counts, cap: this.cap };
    this.cap = cap;
    this.allocate(cap);
    for (let s = 0; s < old.cap; s++) {
      if (old.counts[s] === 0) continue;
      // The bucket in slot s is the one congruent to s within the old ring's span, which ends at this.hi.
      const n = this.hi - ((((this.hi - s) % old.cap) + old.cap) % old.cap);
      // The open bucket has no slot yet (what its slot holds is stale); expired buckets are left behind.
      if (n === this.hi || n < hi - this.slots + 1) continue;
      const t = this.slotOf(n);
      this.sums[t] = old.sums[s]!;
      this.floats.set(old.floats.subarray(s * F, s * F + F), t * F);
      this.lastMs[t] = old.lastMs[s]!;
      this.counts[t] = old.counts[s]!;
    }
  }
}

/** A time delta that does not fit 16 bits (a gap over 65.5 s, or a sample older than the one before it). */
const FAR = 0xffff;

/**
 * Raw samples of one series: a ring that grows by half up to `max` (so an hour of 5-second samples takes
 * 729 slots, not 1,024), then overwrites its oldest. Values are float64 (a trend over a few minutes of raw
 * samples is a small difference of large numbers: float32 would move it in the 5th digit). Times are uint16
 * millisecond deltas from the sample before; a delta that does not fit is kept whole in `far`.
 */
export class RawRing {
  private deltas = new Uint16Array(64);
  private values = new Float64Array(64);
  /** Absolute times of slots whose delta is FAR (made on the first one: most series never need it). */
  private far: Map<number, number> | undefined;
  private head = 0;
  private headTime = 0;
  private tailTime = 0;
  size = 0;
  /** Time of the newest sample ever dropped: raw data is complete only for windows after it. */
  lastDropped = -Infinity;

  constructor(private readonly max: number) {}

  push(time: number, value: number): void {
    // Sample times are whole milliseconds (Date.now(), Date.parse()).
    const t = Math.round(time);
    const cap = this.deltas.length;
    if (this.size === cap) {
      if (cap < this.max) this.grow(Math.min(this.max, Math.ceil(cap * 1.5)));
      else this.dropOldest();
    }
    const i = (this.head + this.size) % this.deltas.length;
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
    const cap = this.deltas.length;
    let t = this.headTime;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % cap;
      if (k > 0) t = this.timeAt(i, t);
      if (t >= from && t <= to) yield [t, this.values[i]!];
    }
  }

  get bytes(): number {
    return this.deltas.byteLength + this.values.byteLength;
  }

  private timeAt(i: number, previous: number): number {
    const d = this.deltas[i]!;
    return d === FAR ? this.far!.get(i)! : previous + d;
  }

  private dropOldest(): void {
    const t = this.headTime;
    if (t > this.lastDropped) this.lastDropped = t;
    this.far?.delete(this.head);
    this.head = (this.head + 1) % this.deltas.length;
    this.size--;
    if (this.size > 0) this.headTime = this.timeAt(this.head, t);
  }

  private grow(cap: number): void {
    const deltas = new Uint16Array(cap);
    const values = new Float64Array(cap);
    const far = this.far ? [...this.far] : [];
    this.far?.clear();
    const old = this.deltas.length;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % old;
      deltas[k] = this.deltas[i]!;
      values[k] = this.values[i]!;
    }
    for (const [i, t] of far) this.far!.set((i - this.head + old) % old, t);
    this.deltas = deltas;
    this.values = values;
    this.head = 0;
  }
}
