import type { HealthEvent } from './schema.js';

/**
 * Inserts keeping `items` sorted by time. Events arrive nearly in order, but a slow dependency round stamps
 * its event with the round's start, after faster rounds have pushed later ones: lists stop scanning at the
 * first event older than their window, so the order must hold.
 */
export function insertByTime(items: HealthEvent[], e: HealthEvent): void {
  const t = Date.parse(e.time);
  let i = items.length;
  while (i > 0 && Date.parse(items[i - 1]!.time) > t) i--;
  if (i === items.length) items.push(e);
  else items.splice(i, 0, e);
}

/** Bounded list of transitions: the oldest fall off once `max` is reached. */
export class EventLog {
  private readonly items: HealthEvent[] = [];

  constructor(private readonly max: number) {}

  push(event: HealthEvent): void {
    insertByTime(this.items, Object.freeze(event));
    if (this.items.length > this.max) this.items.splice(0, this.items.length - this.max);
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
