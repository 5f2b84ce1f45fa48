/** What an event ring holds: anything with an ISO time and the check it is about. */
interface RingItem {
  readonly time: string;
  readonly check: string;
}

interface RingQuery {
  /** Only items at or after this time (ms since epoch). */
  sinceMs?: number;
  /** Only items at or before this time. */
  untilMs?: number;
  check?: string;
  limit?: number;
}

/**
 * The newest `max` events in time order, oldest falling off: the monitor's transitions and the stores' recent
 * events. Events arrive nearly in order, but a slow dependency round stamps its event with the round's start,
 * after faster rounds have pushed later ones: `list` stops scanning at the first item older than its window,
 * so inserts keep the order.
 */
export class EventRing<T extends RingItem> {
  private items: T[] = [];

  constructor(private readonly max: number) {}

  push(item: T): void {
    const t = Date.parse(item.time);
    let i = this.items.length;
    while (i > 0 && Date.parse(this.items[i - 1]!.time) > t) i--;
    if (i === this.items.length) this.items.push(item);
    else this.items.splice(i, 0, item);
    // Trim in chunks so a full ring does not shift the array on every push; `list` never reads past `max`.
    if (this.items.length > this.max * 1.25) this.items = this.items.slice(-this.max);
  }

  /** Newest first. */
  list(q: RingQuery = {}): T[] {
    const out: T[] = [];
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

  get size(): number {
    return Math.min(this.items.length, this.max);
  }
}
