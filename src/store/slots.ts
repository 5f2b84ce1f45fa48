/** Bucket slots per chunk: a ring takes slots a chunk at a time as its data spans more buckets. */
export const CHUNK_SHIFT = 6;
export const CHUNK = 1 << CHUNK_SHIFT;
/** Slab capacity, in slots, of the largest slab; a slot's global index is slab << SLAB_SHIFT | offset. */
export const SLAB_SHIFT = 12;
const SLAB_MAX = 1 << SLAB_SHIFT;
const SLAB_FIRST = 512;

/** float32 fields per slot: min, max, last, mean time, mean (see rings.ts). */
export const FLOATS = 5;

export interface Slab {
  floats: Float32Array;
  times: Uint16Array | Uint32Array;
  counts: Uint8Array | Uint16Array;
}

/**
 * The bucket slots of every ring of one tier of a store, carved in chunks from shared slabs and never given back
 * (a series is never removed, and a ring that reaches its retention reuses its own slots). Rings that grew by
 * copying into a buffer twice the size left the old buffers to the allocator, which kept much of that memory;
 * here a ring costs the chunks its data spans and nothing is copied or freed. Slabs start small and grow to
 * 4,096 slots, so a store with a few series does not hold a large slab.
 */
export class SlotPool {
  readonly slabs: Slab[] = [];
  /** The count stored for a bucket that holds more samples than the count field can say (kept aside). */
  readonly countMax: number;
  readonly slotBytes: number;
  private used = 0;
  private size = 0;
  private bytesHeld = 0;

  /**
   * @param wideTimes the last sample's offset needs 32 bits (buckets longer than 65.536 s)
   * @param wideCounts counts are 16 bits (else 8): the 15-minute tier holds 180 samples of a 5-second series
   */
  constructor(
    private readonly wideTimes: boolean,
    private readonly wideCounts: boolean,
  ) {
    this.countMax = wideCounts ? 0xffff : 0xff;
    this.slotBytes = FLOATS * 4 + (wideTimes ? 4 : 2) + (wideCounts ? 2 : 1);
  }

  /** Bytes of every slab, taken or not. */
  get bytes(): number {
    return this.bytesHeld;
  }

  /** `n` (≤ CHUNK) consecutive slots in one slab, zeroed; returns the global index of the first. */
  alloc(n: number): number {
    if (this.slabs.length === 0 || this.used + n > this.size) {
      this.size = this.slabs.length === 0 ? SLAB_FIRST : Math.min(SLAB_MAX, this.size * 2);
      this.slabs.push({
        floats: new Float32Array(this.size * FLOATS),
        times: this.wideTimes ? new Uint32Array(this.size) : new Uint16Array(this.size),
        counts: this.wideCounts ? new Uint16Array(this.size) : new Uint8Array(this.size),
      });
      this.bytesHeld += this.size * this.slotBytes;
      this.used = 0;
    }
    const at = ((this.slabs.length - 1) << SLAB_SHIFT) | this.used;
    this.used += n;
    return at;
  }
}
