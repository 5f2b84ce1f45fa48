import { describe, expect, it } from 'vitest';
import { fitText } from '../../../src/mcp/tools/fleet-common.js';

const more = (n: number) => `… ${n} more`;

describe('fitText', () => {
  it('keeps every line that fits and says nothing more when nothing was left out', () => {
    expect(fitText('head', ['a', 'b'], 0, 100, more)).toBe('head\na\nb');
  });
  it('counts what was past the limit even when every shown line fits', () => {
    expect(fitText('head', ['a', 'b'], 5, 100, more)).toBe('head\na\nb\n… 5 more');
  });
  it('counts the lines over the budget together with those past the limit', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    const text = fitText('head', lines, 3, 100, more);
    expect(text.length).toBeLessThanOrEqual(100);
    const kept = text.split('\n').length - 2;
    expect(text.split('\n').at(-1)).toBe(`… ${10 - kept + 3} more`);
  });
  it('handles an empty list', () => {
    expect(fitText('head', [], 0, 100, more)).toBe('head');
    expect(fitText('head', [], 4, 100, more)).toBe('head\n… 4 more');
  });
});
