import { describe, expect, it } from 'vitest';
import { EventLog } from '../../../src/monitor/events.js';
import type { HealthEvent } from '../../../src/monitor/schema.js';

const ev = (check: string, iso: string): HealthEvent => ({
  time: iso,
  check,
  type: 'status',
  from: 'pass',
  to: 'fail',
  reason: 'x',
});

describe('EventLog', () => {
  it('lists newest first even when a slow round pushes an older event last, and the window keeps it', () => {
    const log = new EventLog(100);
    log.push(ev('fast', '2026-01-01T00:00:03.000Z'));
    log.push(ev('slow', '2026-01-01T00:00:02.000Z')); // stamped at its round's start, pushed at its end
    log.push(ev('fast', '2026-01-01T00:00:04.000Z'));
    expect(log.list().map((e) => e.time)).toEqual([
      '2026-01-01T00:00:04.000Z',
      '2026-01-01T00:00:03.000Z',
      '2026-01-01T00:00:02.000Z',
    ]);
    expect(log.list({ sinceMs: Date.parse('2026-01-01T00:00:01.500Z') }).map((e) => e.check)).toEqual([
      'fast',
      'fast',
      'slow',
    ]);
  });
  it('keeps at most max, dropping the oldest', () => {
    const log = new EventLog(10);
    for (let i = 0; i < 25; i++) log.push(ev(`c${i}`, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()));
    expect(log.size).toBe(10);
    expect(log.list().at(-1)!.check).toBe('c15');
  });
});
