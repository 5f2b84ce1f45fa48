import { z } from 'zod';

/** Event-loop delay over one sampling interval, in seconds. */
export const LoopDelayReading = z.object({ p50: z.number(), p99: z.number(), max: z.number() });
export type LoopDelayReading = z.infer<typeof LoopDelayReading>;

/** Readings kept exactly per interval; past this many, a uniform sample of them (the maximum stays exact). */
export const LOOP_DELAY_CAPACITY = 1024;

/**
 * Event-loop delay measured as Node's monitorEventLoopDelay measures it: a timer repeats every `resolutionMs`, and
 * each firing records how late it came. The readings are kept as they are, not in Node's HDR histogram: that one
 * spans 1 ns to hours at three significant figures, so each reset() zeroed ~370 KB and each percentile walked it,
 * 11 % of an idle daemon's instructions (callgrind) for the five readings a 5 s sample holds at 1 s.
 * Percentiles are nearest-rank, as the HDR histogram's, and exact up to LOOP_DELAY_CAPACITY readings per interval.
 */
export class LoopDelay {
  private readonly readings = new Float64Array(LOOP_DELAY_CAPACITY);
  /** Readings since the last take(), counting those the sample has no room for. */
  private seen = 0;
  private max = 0;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly resolutionMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    if (this.timer) return;
    this.last = performance.now();
    // Unref'd, as Node's own: the measurement must not keep the process alive.
    this.timer = setInterval(() => {
      const now = performance.now();
      this.record(now - this.last);
      this.last = now;
    }, this.resolutionMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One firing `intervalMs` after the one before: its delay is what exceeds the resolution. */
  record(intervalMs: number): void {
    const delay = Math.max(0, intervalMs - this.resolutionMs);
    if (delay > this.max) this.max = delay;
    if (this.seen < LOOP_DELAY_CAPACITY) this.readings[this.seen] = delay;
    else {
      // Reservoir sampling: every reading of the interval is in the sample with the same chance.
      const slot = Math.floor(this.random() * (this.seen + 1));
      if (slot < LOOP_DELAY_CAPACITY) this.readings[slot] = delay;
    }
    this.seen++;
  }

  /**
   * The interval's p50, p99 and max in seconds, and a new interval begins. A firing under way carries on into the
   * new one, so a stall right after a take() is seen at the next. No readings (a take within one resolution of
   * the last) read 0, as Node's empty histogram.
   */
  take(): LoopDelayReading {
    const n = Math.min(this.seen, LOOP_DELAY_CAPACITY);
    const sorted = this.readings.subarray(0, n).sort();
    const at = (p: number) => (n ? sorted[Math.max(1, Math.round((p / 100) * n)) - 1]! / 1000 : 0);
    const reading = { p50: at(50), p99: at(99), max: this.max / 1000 };
    this.seen = 0;
    this.max = 0;
    return reading;
  }
}
