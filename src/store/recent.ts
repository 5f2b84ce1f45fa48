import { insertByTime } from '../monitor/events.js';
import type { HealthEvent } from '../monitor/schema.js';
import type { EventQuery, ProcessSnapshot } from './types.js';

/** The newest events in memory, oldest falling off at `max`; kept in time order. */
export class RecentEvents {
  private items: HealthEvent[] = [];

  constructor(private readonly max: number) {}

  push(e: HealthEvent): void {
    insertByTime(this.items, e);
    // Trim in chunks so a full log does not shift the array on every event.
    if (this.items.length > this.max * 1.25) this.items = this.items.slice(-this.max);
  }

  list(q: EventQuery = {}): HealthEvent[] {
    const out: HealthEvent[] = [];
    const limit = q.limit ?? Infinity;
    const floor = this.items.length - this.max;
    for (let i = this.items.length - 1; i >= 0 && i >= floor && out.length < limit; i--) {
      const e = this.items[i]!;
      const t = Date.parse(e.time);
      if (q.sinceMs !== undefined && t < q.sinceMs) break;
      if (q.untilMs !== undefined && t > q.untilMs) continue;
      if (q.check !== undefined && e.check !== q.check) continue;
      out.push(e);
    }
    return out;
  }
}

/** Process tables captured when a check went bad, so a later diagnosis can say what was running then. */
export class ProcessSnapshots {
  private readonly items: ProcessSnapshot[] = [];

  constructor(private readonly max = 32) {}

  push(s: ProcessSnapshot): void {
    this.items.push(s);
    if (this.items.length > this.max) this.items.shift();
  }

  /** The snapshot closest to `time`, if one is within `withinMs` of it. */
  near(time: number, withinMs: number): ProcessSnapshot | undefined {
    let best: ProcessSnapshot | undefined;
    for (const s of this.items)
      if (Math.abs(s.time - time) <= withinMs && (!best || Math.abs(s.time - time) < Math.abs(best.time - time)))
        best = s;
    return best;
  }
}
