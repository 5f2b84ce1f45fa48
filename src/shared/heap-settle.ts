import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';

/** The reducer asks every 8 s; a process busy past this long has had other full GCs shrink its heap. */
const SETTLE_CAP_MS = 30_000;

/**
 * Lets V8's memory reducer shrink the heap that start-up grew at its first chance instead of somewhere in the
 * first minute.
 *
 * Why: start-up grows the heap to ~58 MiB committed for ~22 MiB live; the reducer gives it back with one full GC
 * (~20 ms on the main thread and ~50 ms on V8's marking threads) once the process looks idle. It asks every 8 s,
 * and Node 20's V8 judges "idle" on the old generation's allocation averaged over its last ten samples, in which
 * start-up's burst weighs for 16-60 s: the GC landed anywhere in the first minute, inside any window that measures
 * an idle daemon (`bench/metrics.mjs` "idle, scraped every 15 s" took it in 5 runs of 7). Under
 * `--optimize-for-size` the reducer skips that test and runs at its next timer, ~8 s after start-up's last full
 * GC. The flag is on from the end of start-up until the first full GC after it (the reducer's, or one that work
 * caused, after which the reducer re-arms as usual), and at most `capMs`: while on, V8 also makes its other
 * incremental GCs memory-reducing ones. It is read when used, so setting it at run time takes effect.
 * Returns a function that turns the flag off early (shutdown). A process started with the flag keeps it.
 */
export function settleHeapAfterStart({
  setFlags = setFlagsFromString,
  onMajorGc = observeMajorGc,
  capMs = SETTLE_CAP_MS,
  execArgv = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)],
}: {
  setFlags?: (flags: string) => void;
  /** Calls the listener after each full (mark-compact) GC; returns its unsubscribe. */
  onMajorGc?: (listener: () => void) => () => void;
  capMs?: number;
  /** The process's node options (command line and NODE_OPTIONS). */
  execArgv?: string[];
} = {}): () => void {
  if (execArgv.some((a) => /^--optimize[-_]for[-_]size/.test(a))) return () => {};
  setFlags('--optimize-for-size');
  let on = true;
  const off = () => {
    if (!on) return;
    on = false;
    unsubscribe();
    clearTimeout(cap);
    setFlags('--no-optimize-for-size');
  };
  const unsubscribe = onMajorGc(off);
  const cap = setTimeout(off, capMs);
  cap.unref();
  return off;
}

function observeMajorGc(listener: () => void): () => void {
  const observer = new PerformanceObserver((list) => {
    const major = list
      .getEntries()
      .some((e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (major) listener();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
