import { z } from 'zod';
import { defineHostCollector, type HostProbe } from './collector.js';
import { ProcFile } from './procfs.js';

export const CpuSample = z.object({
  utilization: z.number().describe('busy share of all cores since the previous sample, 0..1'),
  modes: z.record(z.string(), z.number()).describe('share of time per mode (user, system, iowait, …), 0..1'),
  secondsTotal: z.record(z.string(), z.number()).describe('cumulative CPU seconds per mode since boot, all cores'),
  perCore: z.array(z.number()).describe('busy share per logical core, 0..1'),
  cores: z.number().int(),
});
export type CpuSample = z.infer<typeof CpuSample>;

// Column order of the `cpu` lines in /proc/stat (man 5 proc). guest/guest_nice are already inside user/nice.
const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
const IDLE_MODES = new Set(['idle', 'iowait']);

interface Ticks {
  total: number[];
  perCore: number[][];
}

export function parseProcStat(text: string): Ticks {
  const perCore: number[][] = [];
  let total: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [label, ...cols] = line.trim().split(/\s+/);
    const ticks = MODES.map((_, i) => Number(cols[i] ?? 0));
    if (label === 'cpu') total = ticks;
    else perCore.push(ticks);
  }
  return { total, perCore };
}

function busyShare(prev: number[], cur: number[]): number {
  let all = 0;
  let idle = 0;
  MODES.forEach((mode, i) => {
    const d = Math.max(0, cur[i]! - prev[i]!);
    all += d;
    if (IDLE_MODES.has(mode)) idle += d;
  });
  return all > 0 ? (all - idle) / all : 0;
}

/**
 * CPU utilisation from /proc/stat deltas between runs. systeminformation's currentLoad() forks `cat` on
 * every call, so this reads procfs directly. The first run compares against the counters taken at creation.
 */
export class CpuCollector implements HostProbe<CpuSample> {
  readonly kind = 'cpu';
  private prev: Ticks | undefined;
  private readonly hz = 100; // USER_HZ is 100 on every Linux ABI Node.js runs on.
  private readonly file: ProcFile;

  constructor(procfs = '/proc') {
    this.file = new ProcFile(`${procfs}/stat`);
  }

  async prime(): Promise<void> {
    this.prev = parseProcStat(await this.file.read());
  }

  async run(signal: AbortSignal): Promise<CpuSample> {
    const cur = parseProcStat(await this.file.read(signal));
    const prev = this.prev ?? { total: MODES.map(() => 0), perCore: cur.perCore.map(() => MODES.map(() => 0)) };
    this.prev = cur;
    const deltas = MODES.map((_, i) => Math.max(0, cur.total[i]! - prev.total[i]!));
    const sum = deltas.reduce((a, b) => a + b, 0);
    const modes: Record<string, number> = {};
    const secondsTotal: Record<string, number> = {};
    MODES.forEach((mode, i) => {
      modes[mode] = sum > 0 ? deltas[i]! / sum : 0;
      secondsTotal[mode] = cur.total[i]! / this.hz;
    });
    return {
      utilization: busyShare(prev.total, cur.total),
      modes,
      secondsTotal,
      perCore: cur.perCore.map((ticks, i) => busyShare(prev.perCore[i] ?? MODES.map(() => 0), ticks)),
      cores: cur.perCore.length,
    };
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const CHECK = { name: 'cpu', kind: 'cpu', component: 'cpu', measurement: 'utilization', threshold: 'cpu' } as const;

export const collector = defineHostCollector({
  name: 'cpu',
  defaultEnabled: true,
  state: { cpu: CpuSample },
  toState: (cpu: CpuSample) => ({ cpu }),
  create: (paths) => new CpuCollector(paths.procfs),
  metrics: {
    instruments: [
      {
        name: 'system.cpu.utilization',
        kind: 'gauge',
        unit: '1',
        description: 'Share of CPU time per mode across all logical CPUs since the previous sample.',
      },
      {
        name: 'system.cpu.time',
        kind: 'counter',
        unit: 's',
        description: 'CPU seconds per mode since boot, summed over all logical CPUs.',
      },
      {
        name: 'system.cpu.logical.count',
        kind: 'updowncounter',
        unit: '{cpu}',
        description: 'Number of logical CPUs.',
      },
    ],
    observe({ cpu }, emit) {
      for (const [mode, share] of Object.entries(cpu.modes))
        emit('system.cpu.utilization', share, { 'cpu.mode': mode });
      for (const [mode, seconds] of Object.entries(cpu.secondsTotal))
        emit('system.cpu.time', seconds, { 'cpu.mode': mode });
      emit('system.cpu.logical.count', cpu.cores);
    },
  },
  series: {
    families: [{ family: 'cpu.utilization', unit: 'ratio', description: 'busy share of all cores, 0..1' }],
    values: ({ cpu }) => [['cpu.utilization', cpu.utilization]],
  },
  thresholds: { cpu: { warn: 0.85, fail: 0.95, for: 60_000 } },
  checks: {
    judge: ({ cpu }) => [{ ...CHECK, value: cpu.utilization, describe: (v) => `CPU ${pct(v)} busy` }],
    missing: () => [CHECK],
  },
  report: {
    section: 'cpu',
    describes: 'CPU utilisation (ratio 0..1, total, per mode and per core)',
    schema: CpuSample,
    data: ({ cpu }) => cpu,
    text: (c: CpuSample) => [
      `CPU ${pct(c.utilization)} busy on ${c.cores} cores (user ${pct(c.modes.user ?? 0)}, ` +
        `system ${pct(c.modes.system ?? 0)}, iowait ${pct(c.modes.iowait ?? 0)})`,
    ],
  },
});
