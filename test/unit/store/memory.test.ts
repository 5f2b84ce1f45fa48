import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryHistory } from '../../../src/store/memory.js';
import { UnknownSeriesError } from '../../../src/store/types.js';
import { asBuckets } from '../../support/bucket-fit.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const RES = { raw: 1000, '1m': MIN, '15m': 15 * MIN } as const;

function store(clock: () => number, opts: { maxRawPerSeries?: number; maxSeries?: number } = {}) {
  return new MemoryHistory({
    retention: { raw: HOUR, minute: DAY, quarter: 7 * DAY },
    maxRawPerSeries: opts.maxRawPerSeries ?? 3600,
    maxSeries: opts.maxSeries ?? 100,
    eventsMax: 100,
    clock,
  });
}

// ---- brute force, written independently of the store's code ----

function bruteP95(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * 0.95;
  const i = Math.floor(pos);
  return i + 1 < s.length ? s[i]! * (1 - (pos - i)) + s[i + 1]! * (pos - i) : s[i]!;
}

/** Two-pass least squares over (hours, value). */
function bruteSlope(samples: [number, number][]): number | null {
  if (samples.length < 2) return null;
  const xs = samples.map(([t]) => t / HOUR);
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
 * An average from raw samples is exact (to float64 summation); from buckets each bucket's mean is kept as a float32
 * offset from its last value, so within float32 precision of the values' spread (see src/store/rings.ts).
 */
function avgClose(avg: number, values: number[], resolution: string): boolean {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const spread = resolution === 'raw' ? 0 : Math.max(...values) - Math.min(...values);
  return Math.abs(avg - mean) <= 2 ** -23 * spread + 1e-9 * Math.max(1, Math.abs(avg), Math.abs(mean));
}

/** Nearest-rank weighted quantile, as a person would compute it by hand. */
function bruteWeighted(items: { v: number; w: number }[], q: number): number {
  const s = [...items].sort((a, b) => a.v - b.v);
  const total = s.reduce((a, b) => a + b.w, 0);
  let acc = 0;
  for (const i of s) {
    acc += i.w;
    if (acc >= q * total) return i.v;
  }
  return s[s.length - 1]!.v;
}

const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

describe('MemoryHistory: query_history summaries against brute force', () => {
  it('summary and points match a brute-force computation over the raw samples (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
        fc.array(fc.tuple(fc.integer({ min: 1000, max: 20 * MIN }), fc.integer({ min: -1_000_000, max: 1_000_000 })), {
          minLength: 1,
          maxLength: 400,
        }),
        fc.integer({ min: MIN, max: 8 * DAY }),
        fc.constantFrom(50, 3600),
        fc.option(fc.integer({ min: 1000, max: DAY }), { nil: undefined }),
        async (t0, steps, windowMs, maxRaw, step) => {
          let now = t0;
          const h = store(() => now, { maxRawPerSeries: maxRaw });
          const samples: [number, number][] = [];
          let t = t0;
          for (const [gap, k] of steps) {
            t += gap;
            now = t;
            const v = k / 1000;
            samples.push([t, v]);
            h.append(t, [['cpu.utilization', v]]);
          }
          const from = now - windowMs;
          const r = await h.query({
            series: 'cpu.utilization',
            from,
            to: now,
            ...(step !== undefined ? { step } : {}),
          });
          const res = RES[r.resolution];
          const aligned = r.resolution === 'raw' ? from : Math.floor(from / res) * res;
          // A window longer than the 15-minute tier's retention is clamped to what is kept.
          if (r.from !== aligned) {
            expect(r.resolution).toBe('15m');
            expect(r.from).toBeGreaterThan(aligned);
            expect(r.from).toBeGreaterThanOrEqual(now - 7 * DAY - 15 * MIN);
          }
          const lo = r.from;
          const inWin = samples.filter(([ts]) => ts >= lo && ts <= now);
          expect(r.points.length).toBeLessThanOrEqual(120);
          if (!inWin.length) {
            expect(r.summary).toBeNull();
            return;
          }
          const vals = inWin.map(([, v]) => v);
          const s = r.summary!;
          expect(s.count).toBe(inWin.length);
          expect(s.min).toBe(Math.min(...vals));
          expect(s.max).toBe(Math.max(...vals));
          expect(avgClose(s.avg, vals, r.resolution)).toBe(true);
          expect(s.last).toBe(inWin[inWin.length - 1]![1]);
          expect(s.lastTime).toBe(new Date(inWin[inWin.length - 1]![0]).toISOString());
          // From aggregates, the fit over bucket means at their mean times (exact for linear data, see rings.ts).
          const fitted = r.resolution === 'raw' ? inWin : asBuckets(samples, inWin);
          const slope = bruteSlope(fitted);
          if (slope === null || s.trendPerHour === null) {
            // Both must agree there is no line when there is at most one distinct instant.
            expect(new Set(fitted.map(([ts]) => ts)).size <= 1 || slope === null).toBe(true);
          } else {
            // Relative to the data's own scale of slopes (range over span): a flat-ish fit of steep data is
            // ill-conditioned.
            const spanHours = (inWin[inWin.length - 1]![0] - inWin[0]![0]) / HOUR;
            const scale = Math.max(1, Math.abs(slope), (Math.max(...vals) - Math.min(...vals)) / spanHours);
            expect(Math.abs(s.trendPerHour - slope)).toBeLessThanOrEqual(1e-6 * scale);
          }

          if (r.resolution === 'raw') {
            expect(s.p95Estimated).toBe(false);
            expect(close(s.p95, bruteP95(vals))).toBe(true);
          } else {
            expect(s.p95Estimated).toBe(true);
            // From aggregates p95 is estimated; it must lie between the p95 of bucket minima and of maxima.
            const buckets = new Map<number, number[]>();
            for (const [ts, v] of inWin) {
              const b = Math.floor(ts / res) * res;
              buckets.set(b, [...(buckets.get(b) ?? []), v]);
            }
            const mins = [...buckets.values()].map((vs) => ({ v: Math.min(...vs), w: vs.length }));
            const maxs = [...buckets.values()].map((vs) => ({ v: Math.max(...vs), w: vs.length }));
            expect(s.p95).toBeGreaterThanOrEqual(bruteWeighted(mins, 0.95) - 1e-9);
            expect(s.p95).toBeLessThanOrEqual(bruteWeighted(maxs, 0.95) + 1e-9);
          }

          // Points: every sample lands in exactly one point, aligned to the step.
          expect(r.points.reduce((a, p) => a + p.count, 0)).toBe(inWin.length);
          for (const p of r.points) {
            const start = Date.parse(p.time);
            expect(start % r.stepMs).toBe(0);
            const members = inWin
              .filter(
                ([ts]) =>
                  (r.resolution === 'raw'
                    ? Math.floor(ts / r.stepMs) * r.stepMs
                    : Math.floor((Math.floor(ts / res) * res) / r.stepMs) * r.stepMs) === start,
              )
              .map(([, v]) => v);
            expect(p.count).toBe(members.length);
            expect(p.min).toBe(Math.min(...members));
            expect(p.max).toBe(Math.max(...members));
            expect(avgClose(p.avg, members, r.resolution)).toBe(true);
          }
          if (step !== undefined && !r.stepAdjusted) expect(r.stepMs).toBe(step);
        },
      ),
      { numRuns: 150 },
    );
  });

  it(
    'picks raw for a recent window, 1-minute aggregates for a ' + 'day, 15-minute for a week (24 h of 5 s samples)',
    async () => {
      const end = Date.UTC(2026, 0, 8);
      let now = end - 7 * DAY;
      const h = store(() => now);
      for (let t = end - 7 * DAY; t <= end; t += 5000) {
        now = t;
        h.append(t, [['disk.utilization:/', 0.5 + (t - (end - 7 * DAY)) / (7 * DAY) / 4]]);
      }
      const q15 = await h.query({ series: 'disk.utilization:/', from: end - 15 * MIN, to: end });
      expect(q15.resolution).toBe('raw');
      expect(q15.summary!.count).toBe(181);
      const q6 = await h.query({ series: 'disk.utilization:/', from: end - 6 * HOUR, to: end });
      expect(q6.resolution).toBe('1m');
      expect(q6.stepMs).toBe(5 * MIN);
      const q7 = await h.query({ series: 'disk.utilization:/', from: end - 7 * DAY, to: end });
      expect(q7.resolution).toBe('15m');
      expect(q7.points.length).toBeLessThanOrEqual(120);
      // A straight line, so the trend is exact whatever the tier: 0.25 over 168 hours.
      for (const q of [q15, q6, q7]) expect(q.summary!.trendPerHour).toBeCloseTo(0.25 / 168, 9);
      // A step that would give thousands of points is raised.
      const fine = await h.query({ series: 'disk.utilization:/', from: end - 7 * DAY, to: end, step: 1000 });
      expect(fine.stepAdjusted).toBe(true);
      expect(fine.points.length).toBeLessThanOrEqual(120);
    },
  );

  it('lists the series it knows when asked for an unknown one', async () => {
    const h = store(() => 1_000_000);
    h.append(1_000_000, [
      ['cpu.utilization', 0.1],
      ['memory.utilization', 0.2],
    ]);
    const e = await h.query({ series: 'cpu.utilisation', from: 0, to: 1_000_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnknownSeriesError);
    expect((e as UnknownSeriesError).known).toEqual(['cpu.utilization', 'memory.utilization']);
  });

  it('is bounded: series over maxSeries are dropped and counted; raw rings stop growing; bytes are reported', () => {
    let now = 0;
    const h = store(() => now, { maxSeries: 3, maxRawPerSeries: 100 });
    for (let i = 0; i < 1000; i++) {
      now = i * 1000;
      h.append(now, [
        ['a', i],
        ['b', i],
        ['c', i],
        ['d', i],
      ]);
    }
    const st = h.stats();
    expect(st.series).toBe(3);
    expect(st.dropped).toBe(1000);
    // Past full retention (7 days of 15-minute buckets) every ring has reached its size: no more growth.
    const fill = (from: number, to: number, every: number) => {
      for (let t = from; t < to; t += every) {
        now = t;
        h.append(now, [
          ['a', t],
          ['b', t],
          ['c', t],
        ]);
      }
    };
    fill(1000 * 1000, 8 * DAY, 60_000);
    const full = h.stats().bytes;
    fill(8 * DAY, 9 * DAY, 60_000);
    expect(h.stats().bytes).toBe(full);
    expect(full).toBeLessThan(3 * 400_000);
  });

  it(
    'allocates as a series fills: an hour of data costs a ' + 'fraction of a week, and queries are unchanged by growth',
    async () => {
      let now = 0;
      const h = store(() => now);
      const values = (t: number) => Math.sin(t / 3_600_000) * 100;
      for (let t = 0; t <= HOUR; t += 5000) {
        now = t;
        h.append(t, [['cpu.utilization', values(t)]]);
      }
      const hour = h.stats().bytes;
      const early = await h.query({ series: 'cpu.utilization', from: 0, to: HOUR });
      for (let t = HOUR + 5000; t <= 8 * DAY; t += 5000) {
        now = t;
        h.append(t, [['cpu.utilization', values(t)]]);
      }
      const week = h.stats().bytes;
      // The hour is mostly its 720 raw samples (float64 values, exact by design: ~7 KiB), which are a larger share
      // of a week now that the week's buckets are smaller: under a fifth of it, and under 10 KiB (when the week
      // held ~87 KB, "an eighth" allowed an hour of up to ~10.9 KB).
      expect(hour * 5).toBeLessThan(week);
      expect(hour).toBeLessThan(10 * 1024);
      // The growth re-placed buckets without losing any: a day's window from the 1-minute tier counts every sample.
      const day = await h.query({ series: 'cpu.utilization', from: now - DAY + 60_000, to: now });
      expect(day.resolution).toBe('1m');
      expect(day.summary!.count).toBe(Math.floor((DAY - 60_000) / 5000) + 1);
      expect(early.summary!.count).toBe(HOUR / 5000 + 1);
    },
  );

  it('keeps events newest first, filtered by window and check', async () => {
    const h = store(() => 0);
    for (let i = 0; i < 5; i++)
      h.recordEvent({
        time: new Date(i * 1000).toISOString(),
        check: i % 2 ? 'db' : 'cache',
        type: 'status',
        from: 'pass',
        to: 'fail',
        reason: String(i),
      });
    expect((await h.events()).map((e) => e.reason)).toEqual(['4', '3', '2', '1', '0']);
    expect((await h.events({ sinceMs: 2000, check: 'cache' })).map((e) => e.reason)).toEqual(['4', '2']);
    expect((await h.events({ untilMs: 2000, limit: 2 })).map((e) => e.reason)).toEqual(['2', '1']);
  });
});

describe('MemoryHistory: exact last time from aggregates', () => {
  it('reports the last sample time to the millisecond even where seconds × 1000 rounds down (1.001 s)', async () => {
    let now = Date.UTC(2026, 0, 1);
    const h = store(() => now);
    now += 1001;
    h.append(now, [['x', 1]]);
    now += 2 * HOUR;
    const r = await h.query({ series: 'x', from: now - 3 * HOUR, to: now });
    expect(r.resolution).toBe('1m');
    expect(r.summary!.lastTime).toBe(new Date(Date.UTC(2026, 0, 1) + 1001).toISOString());
  });
});

describe('MemoryHistory: compact rings', () => {
  it('keeps raw samples across gaps too long for a 16-bit delta, and one older than the one before', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    let now = t0;
    const h = store(() => now);
    const samples: [number, number][] = [
      [t0, 1],
      [t0 + 70_000, 2], // a gap over 65.5 s
      [t0 + 69_000, 3], // out of order
      [t0 + 69_500, 4],
      [t0 + 20 * MIN, 5],
    ];
    for (const [t, v] of samples) {
      now = Math.max(now, t);
      h.append(t, [['x', v]]);
    }
    const r = await h.query({ series: 'x', from: t0, to: now });
    expect(r.resolution).toBe('raw');
    expect(r.summary!.count).toBe(5);
    expect(r.summary!.min).toBe(1);
    expect(r.summary!.max).toBe(5);
    expect(r.summary!.lastTime).toBe(new Date(t0 + 20 * MIN).toISOString());
    // Each sample lands at its own time: one per point at a 1-second step.
    const one = await h.query({ series: 'x', from: t0 + 69_000, to: t0 + 70_000, step: 1000 });
    expect(one.points.map((p) => [Date.parse(p.time) - t0, p.avg])).toEqual([
      [69_000, 3.5],
      [70_000, 2],
    ]);
    // Past the raw retention the oldest go, and what is left still has its times.
    now = t0 + HOUR + 10 * MIN;
    h.append(now, [['x', 6]]);
    const late = await h.query({ series: 'x', from: t0 + 15 * MIN, to: now });
    expect(late.resolution).toBe('raw');
    expect(late.summary!.count).toBe(2);
    expect(late.summary!.min).toBe(5);
  });

  it('keeps raw values exact when a series of float32 values (0, 1, 2, 0.5) first gets one that is not', async () => {
    // Raw values are kept as float32 while every one is exactly a float32, and widened to float64 at the first
    // that is not (rings.ts); the samples before it keep their values and times, far deltas included.
    const t0 = Date.UTC(2026, 0, 1);
    let now = t0;
    const h = store(() => now);
    const samples: [number, number][] = [
      [t0, 2],
      [t0 + 70_000, 0.5], // a gap over 65.5 s
      [t0 + 75_000, 1],
      [t0 + 80_000, 0.1], // not a float32: widens
      [t0 + 85_000, 16_777_217], // 2^24 + 1: not a float32 either
      [t0 + 90_000, 0],
    ];
    for (const [t, v] of samples) {
      now = t;
      h.append(t, [['x', v]]);
    }
    const r = await h.query({ series: 'x', from: t0, to: now, step: 1000 });
    expect(r.resolution).toBe('raw');
    expect(r.points.map((p) => [Date.parse(p.time) - t0, p.avg])).toEqual(samples.map(([t, v]) => [t - t0, v]));
    expect(r.summary!.max).toBe(16_777_217);
    expect(r.summary!.avg).toBe(samples.reduce((a, [, v]) => a + v, 0) / samples.length);
  });

  it('a late sample updates a bucket already encoded, and its trend and last time stay exact', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    let now = t0;
    const h = store(() => now);
    for (let t = t0; t <= t0 + 3 * HOUR; t += 10_000) {
      now = t;
      h.append(t, [['x', (t - t0) / HOUR]]);
    }
    // A sample for a minute long closed, on the same line.
    h.append(t0 + 30 * MIN + 5_001, [['x', (30 * MIN + 5_001) / HOUR]]);
    const r = await h.query({ series: 'x', from: t0, to: now });
    expect(r.resolution).toBe('1m');
    expect(r.summary!.count).toBe(3 * 360 + 2);
    expect(r.summary!.trendPerHour).toBeCloseTo(1, 9);
    expect(r.summary!.lastTime).toBe(new Date(t0 + 3 * HOUR).toISOString());
    const around = await h.query({ series: 'x', from: t0 + 29 * MIN, to: t0 + 31 * MIN - 1, step: MIN });
    expect(around.resolution).toBe('1m');
    const minute = around.points.find((p) => Date.parse(p.time) === t0 + 30 * MIN)!;
    expect(minute.count).toBe(7);
    expect(minute.max).toBeCloseTo((30 * MIN + 50_000) / HOUR, 6);
  });

  it('counts a bucket of more than 65,535 samples exactly', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    let now = t0;
    const h = store(() => now, { maxRawPerSeries: 100 });
    for (let i = 0; i < 70_000; i++) h.append(t0 + (i % 60_000), [['x', i % 7]]);
    now = t0 + 2 * HOUR;
    h.append(now, [['x', 0]]);
    const r = await h.query({ series: 'x', from: t0, to: now });
    expect(r.resolution).toBe('1m');
    expect(r.summary!.count).toBe(70_001);
    expect(r.points[0]!.count).toBe(70_000);
    expect(r.points[0]!.max).toBe(6);
  });

  it('a 15-minute bucket keeps its last time to the millisecond and counts over 4,095 samples exactly', async () => {
    // The 15-minute tier packs a 20-bit time offset and a 12-bit count into one word; larger counts are kept aside.
    const t0 = Date.UTC(2026, 0, 1);
    let now = t0;
    const h = store(() => now, { maxRawPerSeries: 100 });
    for (let i = 0; i < 5000; i++) {
      now = t0 + i * 180 + 7;
      h.append(now, [['x', i % 11]]);
    }
    now = t0 + 2 * DAY;
    h.append(now, [['x', 0]]);
    const r = await h.query({ series: 'x', from: t0, to: t0 + 15 * MIN - 1 });
    expect(r.resolution).toBe('15m');
    expect(r.summary!.count).toBe(5000);
    expect(r.summary!.max).toBe(10);
    expect(r.summary!.lastTime).toBe(new Date(t0 + 4999 * 180 + 7).toISOString());
    expect(r.points.map((p) => p.count)).toEqual([5000]);
  });

  it("a bucket's mean sample time is exact, below and above the count its slot holds (1m and 15m)", async () => {
    // The first time of an answer from buckets is its first bucket's mean sample time, to the millisecond.
    const t0 = Date.UTC(2026, 0, 1);
    for (const [count, bucketMs] of [
      [253, MIN],
      [301, MIN],
      [4093, 15 * MIN],
      [4099, 15 * MIN],
    ] as const) {
      let now = t0;
      const h = store(() => now, { maxRawPerSeries: 100 });
      const offsets = Array.from({ length: count }, (_, i) => Math.floor(((i * i) % 9973) * ((bucketMs - 1) / 9972)));
      offsets.sort((a, b) => a - b);
      for (const [i, o] of offsets.entries()) h.append(t0 + o, [['x', i % 5]]);
      // Past the raw hour, and for the 15-minute tier past the 1-minute tier's day.
      now = t0 + (bucketMs === MIN ? 2 * HOUR : 2 * DAY);
      h.append(now, [['x', 0]]);
      const r = await h.query({ series: 'x', from: t0, to: t0 + bucketMs - 1 });
      expect(r.resolution).toBe(bucketMs === MIN ? '1m' : '15m');
      expect(r.summary!.count).toBe(count);
      const sum = offsets.reduce((a, b) => a + b, 0);
      // count is odd: the mean is never half a millisecond, so rounding it has one answer.
      expect(r.summary!.firstTime).toBe(new Date(t0 + Math.round(sum / count)).toISOString());
      expect(r.summary!.lastTime).toBe(new Date(t0 + offsets.at(-1)!).toISOString());
    }
  });

  it('a series after a week of 5-second samples holds under 56 KiB (it held ~200 KiB of float64 buckets)', () => {
    const end = Date.UTC(2026, 0, 8);
    let now = end - 7 * DAY;
    const h = store(() => now);
    for (let t = end - 7 * DAY; t <= end; t += 5000) {
      now = t;
      h.append(t, [['cpu.utilization', Math.sin(t / 3_600_000)]]);
    }
    expect(h.stats().bytes).toBeLessThan(56 * 1024);
  });
});
