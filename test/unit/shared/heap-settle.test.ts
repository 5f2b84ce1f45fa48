import { afterEach, describe, expect, it, vi } from 'vitest';
import { settleHeapAfterStart } from '../../../src/shared/heap-settle.js';

/** Recorded flags and a hand-fired full GC. */
function harness() {
  const flags: string[] = [];
  let listener: (() => void) | undefined;
  const onMajorGc = (l: () => void) => {
    listener = l;
    return () => void (listener = undefined);
  };
  return { flags, onMajorGc, gc: () => listener?.(), watching: () => listener !== undefined };
}

describe('settleHeapAfterStart', () => {
  afterEach(() => void vi.useRealTimers());

  it('optimizes for size until the first full GC, then lets go of the flag and the GC watch', () => {
    const h = harness();
    settleHeapAfterStart({ setFlags: (f) => h.flags.push(f), onMajorGc: h.onMajorGc });
    expect(h.flags).toEqual(['--optimize-for-size']);
    expect(h.watching()).toBe(true);
    h.gc();
    expect(h.flags).toEqual(['--optimize-for-size', '--no-optimize-for-size']);
    expect(h.watching()).toBe(false);
  });

  it('lets go after the cap when no full GC comes', () => {
    vi.useFakeTimers();
    const h = harness();
    settleHeapAfterStart({ setFlags: (f) => h.flags.push(f), onMajorGc: h.onMajorGc, capMs: 1000 });
    vi.advanceTimersByTime(999);
    expect(h.flags).toEqual(['--optimize-for-size']);
    vi.advanceTimersByTime(1);
    expect(h.flags).toEqual(['--optimize-for-size', '--no-optimize-for-size']);
    expect(h.watching()).toBe(false);
  });

  it('lets go once, whichever comes first (the returned stop, a GC, the cap)', () => {
    vi.useFakeTimers();
    const h = harness();
    const stop = settleHeapAfterStart({ setFlags: (f) => h.flags.push(f), onMajorGc: h.onMajorGc, capMs: 1000 });
    stop();
    h.gc();
    vi.advanceTimersByTime(2000);
    stop();
    expect(h.flags).toEqual(['--optimize-for-size', '--no-optimize-for-size']);
  });

  it('leaves the flag alone in a process started with it', () => {
    const h = harness();
    const opts = { setFlags: (f: string) => h.flags.push(f), onMajorGc: h.onMajorGc };
    settleHeapAfterStart({ ...opts, execArgv: ['--optimize-for-size'] })();
    settleHeapAfterStart({ ...opts, execArgv: ['--optimize_for_size'] })();
    expect(h.flags).toEqual([]);
    expect(h.watching()).toBe(false);
  });
});
