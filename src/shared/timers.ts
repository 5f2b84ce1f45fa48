/**
 * Node keeps timer delays in a signed 32-bit millisecond field: anything longer (24.8 days) is replaced by
 * 1 ms and a non-JSON TimeoutOverflowWarning is printed. Delays computed at run time go through here.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const clampDelay = (ms: number): number =>
  Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_TIMER_MS) : MAX_TIMER_MS;

export interface LongTimeout {
  clear(): void;
}

/** A timeout of any length: waits in steps of at most MAX_TIMER_MS, and never holds the process open. */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  const due = Date.now() + Math.max(0, ms);
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = due - Date.now();
    timer = setTimeout(left > MAX_TIMER_MS ? arm : fn, clampDelay(left));
    timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
