import type { HealthEvent } from './schema.js';

/** Bounded list of transitions: the oldest fall off once `max` is reached. */
export class EventLog {
  private readonly items: HealthEvent[] = [];
  private dropped = 0;

  constructor(private readonly max: number) {}

  push(event: HealthEvent): void {
    this.items.push(Object.freeze(event));
    if (this.items.length > this.max) {
      this.items.splice(0, this.items.length - this.max);
      this.dropped++;
    }
  }

  /** Newest first, optionally only those at or after `sinceMs` and for one check. */
  list(options: { sinceMs?: number; check?: string; limit?: number } = {}): HealthEvent[] {
    const out: HealthEvent[] = [];
    for (let i = this.items.length - 1; i >= 0 && out.length < (options.limit ?? Infinity); i--) {
      const e = this.items[i]!;
      if (options.sinceMs !== undefined && Date.parse(e.time) < options.sinceMs) break;
      if (options.check !== undefined && e.check !== options.check) continue;
      out.push(e);
    }
    return out;
  }

  get size(): number {
    return this.items.length;
  }
}
