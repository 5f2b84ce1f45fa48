import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluateThreshold,
  foldRun,
  levelOf,
  type HoldState,
  type RunStreak,
} from '../../../src/monitor/thresholds.js';

const t = { warn: 0.8, fail: 0.9, for: 60_000 };

/** Feeds (time, value) pairs through the evaluator and returns each reported status. */
function run(points: [number, number | null][], th = t): string[] {
  let hold: HoldState = {};
  return points.map(([at, v]) => {
    const r = evaluateThreshold(v, th, hold, at);
    hold = r.hold;
    return r.status;
  });
}

describe('evaluateThreshold with for:', () => {
  it('reports a level only once it held for the duration', () => {
    expect(
      run([
        [0, 0.95],
        [30_000, 0.95],
        [59_999, 0.95],
        [60_000, 0.95],
      ]),
    ).toEqual(['pass', 'pass', 'pass', 'fail']);
  });
  it('a spike shorter than for never flips the status', () => {
    expect(
      run([
        [0, 0.5],
        [5_000, 0.99],
        [10_000, 0.5],
        [15_000, 0.99],
        [70_000, 0.5],
      ]),
    ).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
  });
  it('drops back as soon as the value does', () => {
    expect(
      run([
        [0, 0.95],
        [60_000, 0.95],
        [65_000, 0.1],
      ]),
    ).toEqual(['pass', 'fail', 'pass']);
  });
  it('falls from fail to warn while the value stays above warn', () => {
    expect(
      run([
        [0, 0.95],
        [60_000, 0.95],
        [65_000, 0.85],
      ]),
    ).toEqual(['pass', 'fail', 'warn']);
  });
  it('warn time counts from the first crossing of warn, even via fail', () => {
    expect(
      run([
        [0, 0.85],
        [30_000, 0.95],
        [60_000, 0.95],
        [90_000, 0.95],
      ]),
    ).toEqual(['pass', 'pass', 'warn', 'fail']);
  });
  it('reports pending with the level and its start', () => {
    const r = evaluateThreshold(0.95, t, {}, 1000);
    expect(r).toMatchObject({ status: 'pass', raw: 'fail', pending: { status: 'fail', since: 1000 } });
  });
  it('for: 0 is immediate; null resets', () => {
    expect(
      run(
        [
          [0, 0.85],
          [1, null],
          [2, 0.95],
        ],
        { ...t, for: 0 },
      ),
    ).toEqual(['warn', 'pass', 'fail']);
  });
  it('levelOf is inclusive at the boundary', () => {
    expect(levelOf(0.8, t)).toBe('warn');
    expect(levelOf(0.9, t)).toBe('fail');
    expect(levelOf(0.7999, t)).toBe('pass');
  });
  it('never reports a level the value is not at (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(30_000), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 50 }),
        (steps) => {
          let hold: HoldState = {};
          let now = 0;
          for (const [dt, v] of steps) {
            now += dt;
            const r = evaluateThreshold(v, t, hold, now);
            hold = r.hold;
            const rank = { pass: 0, warn: 1, fail: 2 };
            expect(rank[r.status]).toBeLessThanOrEqual(rank[levelOf(v, t)]);
          }
        },
      ),
    );
  });
});

describe('foldRun (failure/success thresholds)', () => {
  const fold = (runs: ('pass' | 'warn' | 'fail')[], f = 3, s = 2) => {
    let st: RunStreak = { status: undefined, failures: 0, successes: 0 };
    return runs.map((r) => (st = foldRun(st, r, f, s)).status);
  };
  it('takes the first run as it is', () => {
    expect(fold(['fail'])).toEqual(['fail']);
    expect(fold(['pass'])).toEqual(['pass']);
  });
  it('flips to fail only after 3 failures in a row', () => {
    expect(fold(['pass', 'fail', 'fail', 'pass', 'fail', 'fail', 'fail'])).toEqual([
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
      'fail',
    ]);
  });
  it('recovers only after 2 good runs in a row', () => {
    expect(fold(['fail', 'pass', 'fail', 'pass', 'pass'])).toEqual(['fail', 'fail', 'fail', 'fail', 'pass']);
  });
  it('a warn run counts as up and is reported as warn', () => {
    expect(fold(['pass', 'warn', 'pass'])).toEqual(['pass', 'warn', 'pass']);
    expect(fold(['fail', 'warn', 'warn'])).toEqual(['fail', 'fail', 'warn']);
  });
});
