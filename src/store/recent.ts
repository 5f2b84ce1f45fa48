import type { HealthEvent } from '../monitor/schema.js';
import { EventRing } from '../shared/event-ring.js';
import type { ProcessSnapshot } from './types.js';

/** The newest events in memory, oldest falling off at `max`; kept in time order. */
export class RecentEvents extends EventRing<HealthEvent> {}

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
