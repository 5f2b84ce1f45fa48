import { createRequire } from 'node:module';

// node-cron is loaded only by a daemon that has cron schedules.
const requireLazy = createRequire(import.meta.url);

export interface Schedule {
  every?: number;
  cron?: string;
}

export interface ScheduledJob {
  stop(): void;
  /** Runs skipped because the previous run had not finished. */
  readonly skipped: number;
}

/**
 * Runs `fn` on a fixed interval (drift-corrected) or a cron expression. A tick that falls while the
 * previous run is still going is skipped and counted, never stacked. `now` is the monotonic clock the
 * interval is measured on; a test passes its own to play a stalled event loop without blocking one.
 */
export function schedule(
  spec: Schedule,
  fn: () => Promise<void>,
  onError: (e: unknown) => void,
  now: () => number = () => performance.now(),
): ScheduledJob {
  let running = false;
  let skipped = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    if (running) {
      skipped++;
      return;
    }
    running = true;
    fn()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  };

  if (spec.cron) {
    const cron = requireLazy('node-cron') as typeof import('node-cron');
    const task = cron.schedule(spec.cron, tick, { noOverlap: false });
    return {
      stop() {
        stopped = true;
        void task.stop();
      },
      get skipped() {
        return skipped;
      },
    };
  }

  const every = Math.max(spec.every ?? 30_000, 10);
  const start = now();
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    n++;
    // After a stall (a blocked event loop, a suspended VM) the ticks that fell in it are skipped and
    // counted, not fired back to back: a burst of CPU samples 1 ms apart would read as idle.
    const behind = Math.floor((now() - start) / every) - n + 1;
    if (behind > 0) {
      n += behind;
      skipped += behind;
    }
    // Aim at start + n·every so the schedule does not drift by each tick's own latency. A tick that fired
    // late (a loaded machine) would put the next one right behind it: keep at least half an interval between
    // runs and count the one given up, as for a stall.
    let delay = start + n * every - now();
    if (delay < every / 2) {
      n++;
      skipped++;
      delay += every;
    }
    delay = Math.max(0, delay);
    timer = setTimeout(() => {
      tick();
      if (!stopped) arm();
    }, delay);
  };
  arm();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    get skipped() {
      return skipped;
    },
  };
}
