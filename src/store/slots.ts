/** Bucket slots per chunk: a ring takes slots a chunk at a time as its data spans more buckets. */
export const CHUNK_SHIFT = 6;
export const CHUNK = 1 << CHUNK_SHIFT;
/** Slab capacity, in slots, of the largest slab; a slot's global index is slab << SLAB_SHIFT | offset. */
export const SLAB_SHIFT = 12;
const SLAB_MAX = 1 << SLAB_SHIFT;
const SLAB_FIRST = 512;

/** float32 fields per slot: min, max, last, mean (see rings.ts). */
export const FLOATS = 4;

export interface Slab {
  floats: Float32Array;
  /** Per slot: the last sample's offset in ms from the bucket's start (and, packed, the count in the top bits). */
  times: Uint16Array | Uint32Array;
  /**
   * Per slot: Σ (last sample's time − each sample's time) in ms, an integer, so the mean sample time is exact;
   * for buckets short enough that 16 bits hold the offset, the count is packed in its top 8 bits.
   */
  backs: Uint32Array;
}

/**
 * The bucket slots of every ring of one tier of a store, carved in chunks from shared slabs and never given back
 * (a series is never removed, and a ring that reaches its retention reuses its own slots). Rings that grew by
 * copying into a buffer twice the size left the old buffers to the allocator, which kept much of that memory;
 * here a ring costs the chunks its data spans and nothing is copied or freed. Slabs start small and grow to
 * 4,096 slots, so a store with a few series does not hold a large slab.
 * A slot's count, last-sample offset and time sum take 6 bytes for buckets up to 65.536 s (a 16-bit offset; an
 * 8-bit count and a 24-bit sum in one word) and 8 for longer ones (a 15-minute offset needs 20 bits, which leaves
 * 12 for the count in its word; the sum has a word of its own). A sum never overflows its field while the count
 * fits its own: (count − 1) × the bucket's length is below 2^24 (1-minute) and 2^32 (15-minute).
 */
export class SlotPool {
  readonly slabs: Slab[] = [];
  /** The count stored for a bucket that holds more samples than the count field can say (kept aside). */
  readonly countMax: number;
  readonly slotBytes: number;
  /** Bits of the `times` word that hold the time offset (0: the offset has 16 bits and the count is in `backs`). */
  private readonly timeBits: number;
  private used = 0;
  private size = 0;
  private bytesHeld = 0;

  /** @param bucketMs the tier's bucket length: a last-sample offset is below it */
  constructor(bucketMs: number) {
    const bits = Math.ceil(Math.log2(bucketMs));
    this.timeBits = bits <= 16 ? 0 : bits;
    this.countMax = this.timeBits === 0 ? 0xff : 2 ** (32 - bits) - 1;
    this.slotBytes = FLOATS * 4 + (this.timeBits === 0 ? 2 : 4) + 4;
  }

  /** Bytes of every slab, taken or not. */
  get bytes(): number {
    return this.bytesHeld;
  }

  count(slab: Slab, i: number): number {
    return this.timeBits === 0 ? slab.backs[i]! >>> 24 : slab.times[i]! >>> this.timeBits;
  }

  /** Milliseconds from the bucket's start to its last sample. */
  lastMs(slab: Slab, i: number): number {
    return this.timeBits === 0 ? slab.times[i]! : slab.times[i]! & ((1 << this.timeBits) - 1);
  }

  /** Σ (last sample's time − each sample's time), ms. */
  back(slab: Slab, i: number): number {
    return this.timeBits === 0 ? slab.backs[i]! & 0xffffff : slab.backs[i]!;
  }

  /** @param count below countMax, or countMax for a bucket kept aside (then `back` is not read back) */
  set(slab: Slab, i: number, count: number, lastMs: number, back: number): void {
    if (this.timeBits === 0) {
      slab.times[i] = lastMs;
      slab.backs[i] = count * 2 ** 24 + (count < this.countMax ? back : 0);
    } else {
      slab.times[i] = count * 2 ** this.timeBits + lastMs;
      slab.backs[i] = count < this.countMax ? back : 0;
    }
  }

  /** Marks the slot empty (a count of 0). */
  clear(slab: Slab, i: number): void {
    if (this.timeBits === 0) slab.backs[i] = 0;
    else slab.times[i] = 0;
  }

  /** `n` (≤ CHUNK) consecutive slots in one slab, zeroed; returns the global index of the first. */
  alloc(n: number): number {
    if (this.slabs.length === 0 || this.used + n > this.size) {
      this.size = this.slabs.length === 0 ? SLAB_FIRST : Math.min(SLAB_MAX, this.size * 2);
      this.slabs.push({
        floats: new Float32Array(this.size * FLOATS),
        times: this.timeBits > 0 ? new Uint32Array(this.size) : new Uint16Array(this.size),
        backs: new Uint32Array(this.size),
      });
      this.bytesHeld += this.size * this.slotBytes;
      this.used = 0;
    }
    const at = ((this.slabs.length - 1) << SLAB_SHIFT) | this.used;
    this.used += n;
    return at;
  }
}
