import { setFlagsFromString } from 'node:v8';

/**
 * V8's optimizing compiler (TurboFan), held off until the daemon has work that pays for it.
 *
 * Why: start-up runs a few functions thousands of times (zod building its schemas, module resolution), so V8
 * optimizes them although they never run again, and an idle daemon's 5 s tick makes a few more hot within minutes.
 * Optimizing even one function maps ~3.5 MiB of TurboFan's own machine code into RSS (pages of the node binary,
 * resident from then on) plus ~1 MiB of compiler memory: 4-5 MiB of an idle stdio daemon's ~62 MiB, for code that
 * Sparkplug's baseline runs just as well at that rate. A daemon with checks, fleet sources or an HTTP server turns
 * it on at start; a stdio daemon with none turns it on once it uses more than BUSY_SHARE of a core between ticks.
 * `--turbofan` and `--no-turbofan` take effect at run time (unlike `--max-opt`, which stays off once lowered).
 */
export class OptimizerGate {
  private deferred = false;

  constructor(
    private readonly setFlags: (flags: string) => void = setFlagsFromString,
    private readonly cpuMs: () => number = processCpuMs,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Turns TurboFan off; called before the daemon's modules load, so start-up itself is not optimized. */
  defer(): void {
    this.setFlags('--no-turbofan');
    this.deferred = true;
  }

  /** Whether defer() was called and nothing has turned TurboFan back on since. */
  get isDeferred(): boolean {
    return this.deferred;
  }

  /** Turns TurboFan back on if defer() turned it off; otherwise leaves the process's flags alone. */
  enable(): void {
    if (!this.deferred) return;
    this.deferred = false;
    this.setFlags('--turbofan');
  }

  /**
   * Enables TurboFan once the process used more than `share` of a core over a window of at least `windowMs`,
   * judged on ticks (`onTick` subscribes a listener and returns its unsubscribe). The first tick only starts the
   * clock, so start-up's own work (tool definitions loading after `initialize`) is not counted, and a window spans
   * several ticks so that one-off work (a tool's modules loading on its first call) does not count as busy.
   * Returns a stop function.
   */
  enableWhenBusy(
    onTick: (listener: () => void) => () => void,
    { share = BUSY_SHARE, windowMs = BUSY_WINDOW_MS } = {},
  ): () => void {
    if (!this.deferred) return () => {};
    let from: { cpu: number; at: number } | undefined;
    const stop = onTick(() => {
      const now = { cpu: this.cpuMs(), at: this.nowMs() };
      if (from !== undefined && now.at - from.at < windowMs && this.deferred) return;
      const busy = from !== undefined && (now.cpu - from.cpu) / (now.at - from.at) > share;
      from = now;
      if (!busy && this.deferred) return;
      this.enable();
      stop();
    });
    return stop;
  }
}

/** A twentieth of a core: ~15x what an idle daemon uses (0.2-0.35 %), well under a client calling tools in a loop. */
export const BUSY_SHARE = 0.05;
/** Two host ticks at the default 5 s interval; tool calls publish snapshots (ticks) more often. */
export const BUSY_WINDOW_MS = 10_000;

function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The process's gate: the CLI defers, the app enables. */
export const optimizer = new OptimizerGate();
