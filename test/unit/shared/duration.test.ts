import { describe, expect, it } from 'vitest';
import { Duration, formatDuration, parseDuration } from '../../../src/shared/duration.js';
import { Ratio } from '../../../src/shared/ratio.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['7d', 604_800_000],
    ['0', 0],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', '5 s', 's', '5sec', '-1s', '1h-30m', '5s junk'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('round-trips through formatDuration', () => {
    for (const ms of [1000, 65_000, 3_600_000, 90_061_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe('Duration and Ratio schemas', () => {
  it('accept strings and numbers', () => {
    expect(Duration.parse('2m')).toBe(120_000);
    expect(Duration.parse(250)).toBe(250);
    expect(Ratio.parse('85%')).toBeCloseTo(0.85);
    expect(Ratio.parse(0.9)).toBe(0.9);
  });
  it('explain what they expected', () => {
    const d = Duration.safeParse('five seconds');
    expect(d.success).toBe(false);
    expect(d.error?.issues[0]?.message).toMatch(/invalid duration "five seconds"/);
    expect(Ratio.safeParse(85).error?.issues[0]?.message).toMatch(/outside 0..1/);
    expect(Ratio.safeParse('85 percent').success).toBe(false);
  });
});
