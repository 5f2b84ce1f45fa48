import { describe, expect, it } from 'vitest';
import { EventRing } from '../../../src/shared/event-ring.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const item = (check: string, s: number) => ({ check, time: at(s) });

describe('EventRing', () => {
  it('filters by window, check and limit, newest first', () => {
    const ring = new EventRing<{ check: string; time: string }>(100);
    for (let s = 0; s < 10; s++) ring.push(item(s % 2 ? 'odd' : 'even', s));
    const since = Date.parse(at(3));
    const until = Date.parse(at(7));
    expect(ring.list({ sinceMs: since, untilMs: until }).map((e) => e.time)).toEqual([7, 6, 5, 4, 3].map(at));
    expect(ring.list({ check: 'odd', limit: 2 }).map((e) => e.time)).toEqual([at(9), at(7)]);
    expect(ring.list({ sinceMs: Date.parse(at(20)) })).toEqual([]);
  });
  it('puts a late event with an earlier time in its place, so a window still finds it', () => {
    const ring = new EventRing<{ check: string; time: string }>(100);
    ring.push(item('a', 5));
    ring.push(item('b', 6));
    ring.push(item('slow', 4));
    expect(ring.list({ sinceMs: Date.parse(at(4)) }).map((e) => e.check)).toEqual(['b', 'a', 'slow']);
  });
  it('never lists or counts more than max, whatever it holds between trims', () => {
    const ring = new EventRing<{ check: string; time: string }>(8);
    for (let s = 0; s < 50; s++) {
      ring.push(item(`c${s}`, s));
      const listed = ring.list();
      expect(listed).toHaveLength(Math.min(s + 1, 8));
      expect(listed[0]!.check).toBe(`c${s}`);
      expect(ring.size).toBe(listed.length);
    }
    expect(ring.list().at(-1)!.check).toBe('c42');
  });
});
