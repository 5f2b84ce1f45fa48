import { describe, expect, it } from 'vitest';
import { parseRange, parseTime, TimeFormatError } from '../../../src/fleet/time.js';

const NOW = Date.parse('2026-06-15T12:00:00Z');

describe('parseTime', () => {
  it.each([
    ['now', NOW],
    ['NOW', NOW],
    ['now-1h', NOW - 3_600_000],
    ['now - 30m', NOW - 1_800_000],
    ['now+5m', NOW + 300_000],
    ['-30m', NOW - 1_800_000],
    ['-1h30m', NOW - 5_400_000],
    ['-2d', NOW - 172_800_000],
    ['1767225600', Date.parse('2026-01-01T00:00:00Z')],
    ['1767225600.5', Date.parse('2026-01-01T00:00:00.500Z')],
    ['2026-06-15T11:00:00Z', NOW - 3_600_000],
    ['2026-06-15T13:00:00+02:00', NOW - 3_600_000],
    ['2026-06-15T11:00:00', NOW - 3_600_000],
    ['2026-06-15 11:00', NOW - 3_600_000],
    ['2026-06-15', Date.parse('2026-06-15T00:00:00Z')],
    ['2026-06-15T11:59:59.250Z', NOW - 750],
  ])('%s', (text, ms) => expect(parseTime(text, NOW)).toBe(ms));

  it('takes Unix seconds as a number', () =>
    expect(parseTime(1767225600, NOW)).toBe(Date.parse('2026-01-01T00:00:00Z')));

  it.each([
    ['', /empty time/],
    ['yesterday', /invalid time "yesterday"; give ISO-8601/],
    ['now-1x', /invalid duration in "now-1x"/],
    ['+30m', /invalid time/],
    ['1767225600000', /outside 2000\.\.2100 as Unix seconds \(milliseconds given\?\)/],
    ['12', /outside 2000\.\.2100/],
    ['2026-13-45', /invalid time "2026-13-45"/],
    ['2026-02-30T00:00:00Z', /invalid time/],
  ])('rejects %j', (text, message) => {
    expect(() => parseTime(text, NOW)).toThrow(TimeFormatError);
    expect(() => parseTime(text, NOW)).toThrow(message);
  });

  it('never echoes more than 60 characters of a junk argument', () => {
    const junk = 'x'.repeat(10_000);
    try {
      parseTime(junk, NOW);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(200);
    }
  });
});

describe('parseRange', () => {
  it('defaults to a window back from now', () =>
    expect(parseRange({}, NOW, 3_600_000, 86_400_000)).toEqual({ from: NOW - 3_600_000, to: NOW }));
  it('takes a window back from `to`', () =>
    expect(parseRange({ window: '15m', to: 'now-1h' }, NOW, 3_600_000, 86_400_000)).toEqual({
      from: NOW - 4_500_000,
      to: NOW - 3_600_000,
    }));
  it('takes from and to in any form', () =>
    expect(parseRange({ from: '-2h', to: '2026-06-15T11:00:00Z' }, NOW, 0, 86_400_000)).toEqual({
      from: NOW - 7_200_000,
      to: NOW - 3_600_000,
    }));
  it('refuses an empty or inverted window', () =>
    expect(() => parseRange({ from: 'now', to: '-1h' }, NOW, 0, 86_400_000)).toThrow(/window is empty/));
  it('refuses a window past the bound', () =>
    expect(() => parseRange({ window: '40d' }, NOW, 0, 31 * 86_400_000)).toThrow(/longer than the limit of 31d/));
  it('refuses a bad window', () =>
    expect(() => parseRange({ window: 'forever' }, NOW, 0, 86_400_000)).toThrow(/invalid window "forever"/));
});
