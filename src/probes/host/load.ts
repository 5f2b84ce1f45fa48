import { availableParallelism, loadavg } from 'node:os';
import { z } from 'zod';
import { defineHostCollector, type HostProbe } from './collector.js';

export const LoadSample = z.object({
  load1: z.number(),
  load5: z.number(),
  load15: z.number(),
  perCore1: z.number(),
  perCore5: z.number(),
  perCore15: z.number(),
  cores: z.number().int(),
});
export type LoadSample = z.infer<typeof LoadSample>;

/** Load averages via os.loadavg() (a syscall, no file, no fork), also divided by the core count. */
class LoadCollector implements HostProbe<LoadSample> {
  readonly kind = 'load';
  async run(): Promise<LoadSample> {
    const [load1 = 0, load5 = 0, load15 = 0] = loadavg();
    const cores = availableParallelism();
    return { load1, load5, load15, perCore1: load1 / cores, perCore5: load5 / cores, perCore15: load15 / cores, cores };
  }
}

export const collector = defineHostCollector({
  name: 'load',
  defaultEnabled: true,
  state: { load: LoadSample },
  toState: (load: LoadSample) => ({ load }),
  create: () => new LoadCollector(),
  metrics: {
    instruments: [
      {
        name: 'system.cpu.load_average.1m',
        kind: 'gauge',
        unit: '{thread}',
        description: 'Load average over 1 minute (runnable and uninterruptible tasks).',
      },
      {
        name: 'system.cpu.load_average.5m',
        kind: 'gauge',
        unit: '{thread}',
        description: 'Load average over 5 minutes.',
      },
      {
        name: 'system.cpu.load_average.15m',
        kind: 'gauge',
        unit: '{thread}',
        description: 'Load average over 15 minutes.',
      },
    ],
    observe({ load }, emit) {
      emit('system.cpu.load_average.1m', load.load1);
      emit('system.cpu.load_average.5m', load.load5);
      emit('system.cpu.load_average.15m', load.load15);
    },
  },
  series: {
    families: [{ family: 'load.1m', unit: '1', description: '1-minute load average' }],
    values: ({ load }) => [['load.1m', load.load1]],
  },
  report: {
    section: 'load',
    describes: 'load averages (also per core)',
    schema: LoadSample,
    data: ({ load }) => load,
    text: (l: LoadSample) => [
      `Load ${l.load1.toFixed(2)} / ${l.load5.toFixed(2)} / ${l.load15.toFixed(2)} (${l.perCore1.toFixed(2)} per core)`,
    ],
  },
});
