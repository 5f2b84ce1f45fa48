import { describe, expect, it } from 'vitest';
import { BUSY_SHARE, BUSY_WINDOW_MS, OptimizerGate } from '../../../src/shared/optimizer.js';

/** A gate with recorded flags and a hand-driven CPU clock and wall clock (ms), ticking through `tick()`. */
function harness() {
  const flags: string[] = [];
  const clock = { cpu: 0, now: 0 };
  const gate = new OptimizerGate(
    (f) => flags.push(f),
    () => clock.cpu,
    () => clock.now,
  );
  let listener: (() => void) | undefined;
  const onTick = (l: () => void) => {
    listener = l;
    return () => void (listener = undefined);
  };
  /** Advances wall time by `ms` with `cpuMs` of CPU used, then fires the tick if anyone listens. */
  const tick = (ms: number, cpuMs: number) => {
    clock.now += ms;
    clock.cpu += cpuMs;
    listener?.();
  };
  return { flags, gate, onTick, tick, listening: () => listener !== undefined };
}

describe('OptimizerGate', () => {
  it('leaves the flags alone when nothing deferred TurboFan', () => {
    const h = harness();
    h.gate.enable();
    h.gate.enableWhenBusy(h.onTick);
    h.tick(5000, 5000);
    expect(h.flags).toEqual([]);
    expect(h.listening()).toBe(false);
  });

  it('turns TurboFan off, and back on once', () => {
    const h = harness();
    h.gate.defer();
    expect(h.gate.isDeferred).toBe(true);
    h.gate.enable();
    h.gate.enable();
    expect(h.flags).toEqual(['--no-turbofan', '--turbofan']);
    expect(h.gate.isDeferred).toBe(false);
  });

  it('stays deferred while ticks use less than the busy share of a core', () => {
    const h = harness();
    h.gate.defer();
    h.gate.enableWhenBusy(h.onTick);
    for (let i = 0; i < 100; i++) h.tick(5000, 5000 * BUSY_SHARE * 0.9);
    for (let i = 0; i < 100; i++) h.tick(50, 50 * BUSY_SHARE * 0.9);
    expect(h.gate.isDeferred).toBe(true);
    expect(h.listening()).toBe(true);
  });

  it('does not count the work before the first tick (start-up)', () => {
    const h = harness();
    h.gate.defer();
    h.gate.enableWhenBusy(h.onTick);
    h.tick(250, 200);
    expect(h.gate.isDeferred).toBe(true);
    h.tick(5000, 10);
    expect(h.gate.isDeferred).toBe(true);
  });

  it('enables TurboFan and unsubscribes on the first busy interval', () => {
    const h = harness();
    h.gate.defer();
    h.gate.enableWhenBusy(h.onTick);
    h.tick(5000, 10);
    h.tick(BUSY_WINDOW_MS, BUSY_WINDOW_MS * BUSY_SHARE * 1.1);
    expect(h.flags).toEqual(['--no-turbofan', '--turbofan']);
    expect(h.listening()).toBe(false);
  });

  it('judges a window of several ticks, not a spike within one', () => {
    const h = harness();
    h.gate.defer();
    h.gate.enableWhenBusy(h.onTick);
    h.tick(5000, 0);
    // A tool's modules loading on its first call: a third of a core for the 300 ms before the next tick.
    h.tick(300, 100);
    for (let i = 0; i < 10; i++) h.tick(1000, 5);
    expect(h.gate.isDeferred).toBe(true);
    // Sustained work over the next window.
    for (let i = 0; i < 10; i++) h.tick(1000, 1000 * BUSY_SHARE * 1.5);
    expect(h.gate.isDeferred).toBe(false);
  });

  it('unsubscribes on the next tick when something else enabled TurboFan', () => {
    const h = harness();
    h.gate.defer();
    h.gate.enableWhenBusy(h.onTick);
    h.gate.enable();
    h.tick(5000, 0);
    expect(h.listening()).toBe(false);
    expect(h.flags).toEqual(['--no-turbofan', '--turbofan']);
  });

  it('stops watching when asked', () => {
    const h = harness();
    h.gate.defer();
    const stop = h.gate.enableWhenBusy(h.onTick);
    stop();
    expect(h.listening()).toBe(false);
    expect(h.gate.isDeferred).toBe(true);
  });
});
