import type { Probe } from '../types.js';
import { readProc } from './procfs.js';
import type { CpuSample } from './types.js';

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
export class CpuCollector implements Probe<CpuSample> {
  readonly kind = 'cpu';
  private prev: Ticks | undefined;
  private readonly hz = 100; // USER_HZ is 100 on every Linux ABI Node.js runs on.

  constructor(private readonly procfs = '/proc') {}

  async prime(): Promise<void> {
    this.prev = parseProcStat(await readProc(this.procfs, 'stat'));
  }

  async run(signal: AbortSignal): Promise<CpuSample> {
    const cur = parseProcStat(await readProc(this.procfs, 'stat', signal));
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
}
