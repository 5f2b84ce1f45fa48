import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryHistory } from '../../../src/store/memory.js';
import { fromFloat32 } from '../../../src/store/rings.js';
import { asBuckets } from '../../support/bucket-fit.js';

// The memory store keeps bucket min/max/last in float32 (see src/store/rings.ts). Whatever the values (ratios,
// byte counts in the tens of GiB, tiny latencies), an answer must agree with an exact float64 computation over
// the raw samples within float32 relative error, and counts and times must be exact.

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const RES = { raw: 1000, '1m': MIN, '15m': 15 * MIN } as const;
/** One float32 rounding on the way in plus the decimal read-back: within one float32 ulp. */
const F32 = 2 ** -23;

const within = (a: number, b: number, rel: number, scale = Math.abs(b)) => Math.abs(a - b) <= rel * scale;

/** Two-pass least squares over (hours since the first sample, value), in float64. */
function slopeOf(samples: [number, number][]): number | null {
  if (samples.length < 2) return null;
  const xs = samples.map(([t]) => (t - samples[0]![0]) / HOUR);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const mv = samples.reduce((a, [, v]) => a + v, 0) / samples.length;
  let sxx = 0;
  let sxv = 0;
  samples.forEach(([, v], i) => {
    sxx += (xs[i]! - mx) ** 2;
    sxv += (xs[i]! - mx) * (v - mv);
  });
  return sxx > 1e-12 ? sxv / sxx : null;
}

/**
 * A series as the monitor records them: a level (a ratio, a byte count, a latency) plus variation around it,
 * sampled at most once a second (a trend over milliseconds is float64 noise whatever the store keeps).
 */
const seriesArb = fc.record({
  t0: fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
  level: fc.constantFrom(0.4, 3.7e-3, 85_123_456, 2.4e10, 1e6),
  spread: fc.constantFrom(1, 1e-2, 1e-4),
  steps: fc.array(fc.tuple(fc.integer({ min: 1000, max: 20 * MIN }), fc.double({ min: -1, max: 1, noNaN: true })), {
    minLength: 1,
    maxLength: 300,
  }),
  windowMs: fc.integer({ min: MIN, max: 8 * DAY }),
});

describe('MemoryHistory: compact buckets against an exact float64 reference', () => {
  it('exact counts and times; min, max, last, avg within float32 (avg: of the spread); trend (property)', async () => {
    await fc.assert(
      fc.asyncProperty(seriesArb, async ({ t0, level, spread, steps, windowMs }) => {
        let now = t0;
        const h = new MemoryHistory({
          retention: { raw: HOUR, minute: DAY, quarter: 7 * DAY },
          maxRawPerSeries: 3600,
          maxSeries: 10,
          eventsMax: 10,
          clock: () => now,
        });
        const samples: [number, number][] = [];
        let t = t0;
        for (const [gap, x] of steps) {
          t += gap;
          now = t;
          const v = level * (1 + spread * x);
          samples.push([t, v]);
          h.append(t, [['self.rss', v]]);
        }
        const r = await h.query({ series: 'self.rss', from: now - windowMs, to: now });
        const inWin = samples.filter(([ts]) => ts >= r.from && ts <= now);
        if (!inWin.length) {
          expect(r.summary).toBeNull();
          return;
        }
        const vals = inWin.map(([, v]) => v);
        const s = r.summary!;
        // Raw answers are the samples themselves; aggregate ones within one float32 rounding of them.
        const rel = r.resolution === 'raw' ? 0 : F32;
        expect(s.count).toBe(inWin.length);
        expect(within(s.min, Math.min(...vals), rel)).toBe(true);
        expect(within(s.max, Math.max(...vals), rel)).toBe(true);
        expect(within(s.last, inWin.at(-1)![1], rel)).toBe(true);
        expect(s.lastTime).toBe(new Date(inWin.at(-1)![0]).toISOString());
        const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
        // From buckets, means are float32 offsets from the bucket's last value: float32 precision of the spread.
        const avgTol = rel * (Math.max(...vals) - Math.min(...vals));
        expect(Math.abs(s.avg - mean) <= avgTol + 1e-12 * Math.abs(mean)).toBe(true);
        // From aggregates the trend is the fit over closed buckets' means at their mean times (see rings.ts).
        const fitted = r.resolution === 'raw' ? inWin : asBuckets(samples, inWin);
        const slope = slopeOf(fitted);
        const spanHours = (inWin.at(-1)![0] - inWin[0]![0]) / HOUR;
        // Over less than a minute, samples share one aggregate bucket whose float32 time moments cannot resolve a
        // slope over seconds; nothing reads a trend that short (the analysis needs 10 minutes of samples).
        if (slope !== null && s.trendPerHour !== null && spanHours >= 1 / 60) {
          const range = Math.max(...vals) - Math.min(...vals);
          // Relative to the data's own scale of slopes (as in memory.test.ts), at least a millionth of the level
          // per span: flat data's float64 rounding noise, which the raw path has always had, is far below that.
          const scale = Math.max(Math.abs(slope), range / spanHours, (1e-6 * level) / spanHours);
          expect(within(s.trendPerHour, slope, 1e-6, scale)).toBe(true);
        }
        expect(r.points.reduce((a, p) => a + p.count, 0)).toBe(inWin.length);
        const res = RES[r.resolution];
        for (const p of r.points) {
          const start = Date.parse(p.time);
          const members = inWin
            .filter(([ts]) => Math.floor((Math.floor(ts / res) * res) / r.stepMs) * r.stepMs === start)
            .map(([, v]) => v);
          expect(p.count).toBe(members.length);
          expect(within(p.min, Math.min(...members), rel)).toBe(true);
          expect(within(p.max, Math.max(...members), rel)).toBe(true);
          const avg = members.reduce((a, b) => a + b, 0) / members.length;
          const pointSpread = rel * (Math.max(...members) - Math.min(...members));
          expect(Math.abs(p.avg - avg) <= pointSpread + 1e-12 * Math.abs(avg)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a trend over linear data is its slope at every resolution, bucket means or not (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        seriesArb,
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        async ({ t0, level, steps, windowMs }, slopeRel) => {
          let now = t0;
          const h = new MemoryHistory({
            retention: { raw: HOUR, minute: DAY, quarter: 7 * DAY },
            maxRawPerSeries: 3600,
            maxSeries: 10,
            eventsMax: 10,
            clock: () => now,
          });
          // A slope relative to the level (per hour), so byte counts and ratios both get steep and flat lines.
          const slope = level * slopeRel * 1e-3;
          let t = t0;
          const times: number[] = [];
          for (const [gap] of steps) {
            t += gap;
            now = t;
            times.push(t);
            h.append(t, [['self.rss', level + (slope * (t - t0)) / HOUR]]);
          }
          const r = await h.query({ series: 'self.rss', from: now - windowMs, to: now });
          const inWin = times.filter((ts) => ts >= r.from);
          const spanHours = inWin.length ? (inWin.at(-1)! - inWin[0]!) / HOUR : 0;
          if (spanHours < 1 / 60) return;
          expect(r.summary!.trendPerHour).not.toBeNull();
          // Float64 noise of the values themselves, a millionth of the level over the span, is the floor.
          const scale = Math.max(Math.abs(slope), (1e-6 * level) / spanHours);
          expect(within(r.summary!.trendPerHour!, slope, 1e-6, scale)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads a float32 back as the decimal it was recorded as, when that had at most 6 significant digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: -999_999, max: 999_999 }), fc.integer({ min: -12, max: 12 }), (m, e) => {
        const v = Number(`${m}e${e}`);
        expect(fromFloat32(Math.fround(v))).toBe(v);
      }),
    );
    // Anything else (of float32's normal range) comes back within one float32 rounding.
    fc.assert(
      fc.property(fc.double({ min: 1e-30, max: 1e30, noNaN: true }), fc.boolean(), (x, negative) => {
        const v = negative ? -x : x;
        expect(within(fromFloat32(Math.fround(v)), v, F32)).toBe(true);
      }),
    );
  });
});
