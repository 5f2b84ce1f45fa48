import type { DependencyProbeModule } from '../../../src/monitor/dependency-kinds.js';
import type { HostProbe } from '../../../src/probes/host/collector.js';
import type { CpuSample } from '../../../src/probes/host/cpu.js';
import type { Observation } from '../../../src/probes/types.js';

/**
 * How a fake dependency answers its next run: up, down with a reason, throwing, slow but up, or never (`hang`
 * ignores its abort signal too: only the check's own timeout ends such a run; `hang-until-aborted` answers the
 * abort with a failed observation of its own, as the real probes do).
 */
export type Answer =
  | 'up'
  | 'hang'
  | 'hang-until-aborted'
  | { down: string }
  | { throws: string }
  | { slowSeconds: number };

/**
 * A fake dependency: every instance of every check made from this module answers as `set` last said, and
 * counts its runs. No sockets, no timers of its own.
 */
export function fakeDependency(first: Answer = 'up') {
  let answer: Answer = first;
  const runs: string[] = [];
  const observe = (a: Answer, signal: AbortSignal): Promise<Observation> => {
    if (a === 'hang-until-aborted')
      return new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve({ ok: false, values: {}, error: 'timed out' })),
      );
    if (a === 'up') return Promise.resolve({ ok: true, values: { responseTimeSeconds: 0.002 } });
    if (a === 'hang') return new Promise(() => {});
    if ('down' in a) return Promise.resolve({ ok: false, values: {}, error: a.down });
    if ('throws' in a) return Promise.reject(new Error(a.throws));
    return Promise.resolve({ ok: true, values: { responseTimeSeconds: a.slowSeconds } });
  };
  const module: DependencyProbeModule = {
    describe: (c) => `fake://${c.instance}`,
    create: (c) => ({
      kind: c.kind,
      run: (signal) => {
        runs.push(c.instance);
        return observe(answer, signal);
      },
    }),
  };
  return {
    module,
    runs,
    set(a: Answer) {
      answer = a;
    },
  };
}

/** A CPU that is always `utilization` busy (two cores, all of it user time), whatever the machine's load. */
export function fixedCpu(utilization: number): HostProbe<CpuSample> {
  const modes = { user: utilization, idle: 1 - utilization };
  return {
    kind: 'cpu',
    run: () =>
      Promise.resolve({
        utilization,
        modes,
        secondsTotal: { user: 0, idle: 0 },
        perCore: [utilization, utilization],
        cores: 2,
      }),
  };
}
