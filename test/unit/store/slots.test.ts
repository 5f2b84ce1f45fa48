import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlotPool } from '../../../src/store/slots.js';

// A slot keeps a bucket's count, the last sample's offset from the bucket's start and the sum of every sample's
// offset back from the last (which makes the mean sample time exact), packed into narrow integer fields. What is
// written must read back exactly, up to the largest values each tier can hold.

const TIERS = [
  { bucketMs: 60_000, countMax: 0xff, slotBytes: 22 },
  { bucketMs: 900_000, countMax: 0xfff, slotBytes: 24 },
];

describe('SlotPool', () => {
  for (const { bucketMs, countMax, slotBytes } of TIERS) {
    it(`${bucketMs / 60_000}-minute slots: ${slotBytes} bytes; counts below ${countMax} and time sums exact`, () => {
      const pool = new SlotPool(bucketMs);
      expect(pool.countMax).toBe(countMax);
      expect(pool.slotBytes).toBe(slotBytes);
      const at = pool.alloc(64);
      const slab = pool.slabs[0]!;
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 63 }),
          fc.integer({ min: 1, max: countMax - 1 }),
          fc.integer({ min: 0, max: bucketMs - 1 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (k, count, lastMs, share) => {
            // Every sample at most lastMs before the last: the sum is at most (count − 1) × lastMs.
            const back = Math.round(share * (count - 1) * lastMs);
            const i = at + k;
            pool.set(slab, i, count, lastMs, back);
            expect([pool.count(slab, i), pool.lastMs(slab, i), pool.back(slab, i)]).toEqual([count, lastMs, back]);
            pool.clear(slab, i);
            expect(pool.count(slab, i)).toBe(0);
          },
        ),
      );
      // The largest of each field at once.
      pool.set(slab, at, countMax - 1, bucketMs - 1, (countMax - 2) * (bucketMs - 1));
      expect(pool.count(slab, at)).toBe(countMax - 1);
      expect(pool.lastMs(slab, at)).toBe(bucketMs - 1);
      expect(pool.back(slab, at)).toBe((countMax - 2) * (bucketMs - 1));
      // A count the field cannot hold is marked as kept aside (the ring keeps the count and the sum).
      pool.set(slab, at, countMax, bucketMs - 1, 0);
      expect(pool.count(slab, at)).toBe(countMax);
      expect(pool.lastMs(slab, at)).toBe(bucketMs - 1);
    });
  }
});
