import { describe, expect, it } from 'vitest';
import { pointLabel } from '../../../src/mcp/tools/query-history.js';
import { clockTime, plural, roughDuration, sinceText } from '../../../src/shared/words.js';

const T = Date.UTC(2026, 5, 1, 14, 2, 10);

describe('words', () => {
  it('plurals and rounded durations', () => {
    expect([plural(1, 'point'), plural(0, 'point'), plural(3, 'process', 'processes')]).toEqual([
      '1 point',
      '0 points',
      '3 processes',
    ]);
    expect([0, 400, 45_000, 180_000, 200_000, 4_320_000, 183_600_000].map(roughDuration)).toEqual([
      '0s',
      '400ms',
      '45s',
      '3m',
      '3m20s',
      '1h12m',
      '2d3h',
    ]);
  });

  it('clock times within a day, dates beyond, and "since" with how long ago', () => {
    expect(clockTime(T, T + 60_000)).toBe('14:02:10');
    expect(clockTime(T, T + 2 * 86_400_000)).toBe('2026-06-01 14:02');
    expect(sinceText(T, T + 180_000)).toBe('14:02:10, 3m ago');
  });

  it('query_history labels a point as precisely as its step', () => {
    const iso = new Date(T).toISOString();
    expect(pointLabel(iso, 10_000, 3_600_000)).toBe('14:02:10');
    expect(pointLabel(iso, 60_000, 6 * 3_600_000)).toBe('14:02');
    expect(pointLabel(iso, 900_000, 7 * 86_400_000)).toBe('06-01 14:02');
  });
});
