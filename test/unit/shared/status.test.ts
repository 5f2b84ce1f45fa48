import { describe, expect, it } from 'vitest';
import {
  countStatuses,
  STATUS_RANK,
  statusWord,
  verdictOfRank,
  VERDICTS,
  worst,
  WORST_FIRST,
  type ShownStatus,
} from '../../../src/shared/status.js';

describe('status order', () => {
  it('ranks pass < warn < fail, the numbers vitals_check_status and the check.status series carry', () => {
    expect(VERDICTS.map((v) => STATUS_RANK[v])).toEqual([0, 1, 2]);
  });
  it('worst of two verdicts is the higher rank, whichever side it is on', () => {
    expect(worst('pass', 'warn')).toBe('warn');
    expect(worst('fail', 'warn')).toBe('fail');
    expect(worst('pass', 'pass')).toBe('pass');
    expect(VERDICTS.reduce(worst, 'pass')).toBe('fail');
  });
  it('reads a recorded number back: the nearest verdict, out-of-range values clamped', () => {
    expect(VERDICTS.map((v) => verdictOfRank(STATUS_RANK[v]))).toEqual([...VERDICTS]);
    expect(verdictOfRank(0.6)).toBe('warn');
    expect(verdictOfRank(1.4)).toBe('warn');
    expect(verdictOfRank(-3)).toBe('pass');
    expect(verdictOfRank(7)).toBe('fail');
  });
  it('sorts lists for a person failing first, pending before passing', () => {
    const shown: ShownStatus[] = ['pass', 'pending', 'fail', 'warn'];
    expect(shown.sort((a, b) => WORST_FIRST[a] - WORST_FIRST[b])).toEqual(['fail', 'warn', 'pending', 'pass']);
  });
});

describe('status words', () => {
  it('words a status and leaves anything else (an event’s unknown, a breaker state) as it is', () => {
    expect(statusWord('fail')).toBe('failed');
    expect(statusWord('pending')).toBe('pending');
    expect(statusWord('unknown')).toBe('unknown');
    expect(statusWord('half-open')).toBe('half-open');
  });
  it('counts every status, zero included', () => {
    const n = countStatuses([{ status: 'fail' }, { status: 'pass' }, { status: 'pass' }]);
    expect(n).toEqual({ pass: 2, warn: 0, fail: 1, pending: 0 });
  });
});
