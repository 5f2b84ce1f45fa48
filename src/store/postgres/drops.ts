import type { Logger } from 'pino';

const LOG_EVERY_MS = 10_000;

/**
 * Samples lost for good. Every one is counted, and logged at most every 10 s: the first drop at once, the ones
 * after it in a trailing line, so a burst is neither a log storm nor left unreported.
 */
export class Drops {
  /** Every sample lost since start. */
  total = 0;
  private lastLog = 0;
  private sinceLog = 0;
  private reason = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly bufferMax: number,
  ) {}

  count(n: number, why: string): void {
    this.total += n;
    this.sinceLog += n;
    this.reason = why;
    const wait = this.lastLog + LOG_EVERY_MS - Date.now();
    if (wait <= 0) this.flushLog();
    else this.timer ??= setTimeout(() => this.flushLog(), wait).unref();
  }

  /** Logs the drops not logged yet (on the trailing timer, and at shutdown). */
  flushLog(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.sinceLog) return;
    const n = this.sinceLog;
    this.log.warn(
      { dropped: n, droppedTotal: this.total, bufferMax: this.bufferMax, reason: this.reason },
      `history: ${n} samples dropped (${this.reason})`,
    );
    this.lastLog = Date.now();
    this.sinceLog = 0;
  }
}
