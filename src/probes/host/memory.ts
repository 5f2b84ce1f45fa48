import { freemem, totalmem } from 'node:os';
import { z } from 'zod';
import { defineHostCollector, type HostProbe } from './collector.js';
import { ProcFile, parseMeminfo } from './procfs.js';

export const MemorySample = z.object({
  totalBytes: z.number(),
  availableBytes: z.number(),
  usedBytes: z.number().describe('total − available'),
  freeBytes: z.number(),
  buffersBytes: z.number(),
  cachedBytes: z.number(),
  utilization: z.number().describe('used / total, 0..1'),
  swapTotalBytes: z.number(),
  swapUsedBytes: z.number(),
  swapUtilization: z.number().nullable().describe('null when the host has no swap'),
});
export type MemorySample = z.infer<typeof MemorySample>;

/**
 * Memory from /proc/meminfo, read as systeminformation's mem() reads it (its figures, its fallbacks) without
 * loading that package: its 430 KB of code held 2-3 MiB of the daemon's idle RSS for this one call.
 */
export function memorySample(meminfo: Map<string, number>): MemorySample {
  const kb = (key: string) => meminfo.get(key) || 0;
  const total = kb('MemTotal') || totalmem();
  const free = kb('MemFree') || freemem();
  const buffers = kb('Buffers');
  const cached = kb('Cached');
  // Kernels before 3.14 have no MemAvailable: free plus what the kernel could reclaim.
  const available = kb('MemAvailable') || free + buffers + cached + kb('Slab');
  const swapTotal = kb('SwapTotal');
  const swapUsed = swapTotal - kb('SwapFree');
  const used = total - available;
  return {
    totalBytes: total,
    availableBytes: available,
    usedBytes: used,
    freeBytes: free,
    buffersBytes: buffers,
    cachedBytes: cached,
    utilization: total > 0 ? used / total : 0,
    swapTotalBytes: swapTotal,
    swapUsedBytes: swapUsed,
    swapUtilization: swapTotal > 0 ? swapUsed / swapTotal : null,
  };
}

class MemoryCollector implements HostProbe<MemorySample> {
  readonly kind = 'memory';
  private readonly file: ProcFile;

  constructor(procfs = '/proc') {
    this.file = new ProcFile(`${procfs}/meminfo`);
  }

  async run(signal: AbortSignal): Promise<MemorySample> {
    return memorySample(parseMeminfo(await this.file.read(signal)));
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

function observe(
  { memory }: { memory: MemorySample },
  emit: (n: string, v: number, a?: Record<string, string>) => void,
) {
  const states: [string, number][] = [
    ['used', memory.usedBytes],
    ['free', memory.freeBytes],
    ['buffers', memory.buffersBytes],
    ['cached', memory.cachedBytes],
  ];
  for (const [state, bytes] of states) {
    emit('system.memory.usage', bytes, { 'system.memory.state': state });
    if (memory.totalBytes > 0)
      emit('system.memory.utilization', bytes / memory.totalBytes, { 'system.memory.state': state });
  }
  emit('system.memory.limit', memory.totalBytes);
  emit('system.memory.linux.available', memory.availableBytes);
  // Usage is reported as 0/0 on a host without swap (as node_exporter reports SwapTotal 0), so swap panels
  // and queries find a series everywhere; utilization has no meaning there and is left out.
  const free = memory.swapTotalBytes - memory.swapUsedBytes;
  emit('system.paging.usage', memory.swapUsedBytes, { 'system.paging.state': 'used' });
  emit('system.paging.usage', free, { 'system.paging.state': 'free' });
  if (memory.swapTotalBytes > 0) {
    emit('system.paging.utilization', memory.swapUsedBytes / memory.swapTotalBytes, { 'system.paging.state': 'used' });
    emit('system.paging.utilization', free / memory.swapTotalBytes, { 'system.paging.state': 'free' });
  }
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const CHECK = {
  name: 'memory',
  kind: 'memory',
  component: 'memory',
  measurement: 'utilization',
  threshold: 'memory',
} as const;

export const collector = defineHostCollector({
  name: 'memory',
  defaultEnabled: true,
  state: { memory: MemorySample },
  toState: (memory: MemorySample) => ({ memory }),
  create: (paths) => new MemoryCollector(paths.procfs),
  metrics: {
    instruments: [
      {
        name: 'system.memory.usage',
        kind: 'updowncounter',
        unit: 'By',
        description: 'Memory in use by state; used is total minus available.',
      },
      {
        name: 'system.memory.utilization',
        kind: 'gauge',
        unit: '1',
        description: 'Share of memory by state; used is (total - available) / total.',
      },
      { name: 'system.memory.limit', kind: 'updowncounter', unit: 'By', description: 'Total memory.' },
      {
        name: 'system.memory.linux.available',
        kind: 'updowncounter',
        unit: 'By',
        description: 'Memory available for new work without swapping (MemAvailable).',
      },
      { name: 'system.paging.usage', kind: 'updowncounter', unit: 'By', description: 'Swap space by state.' },
      { name: 'system.paging.utilization', kind: 'gauge', unit: '1', description: 'Share of swap space by state.' },
    ],
    observe,
  },
  series: {
    families: [
      { family: 'memory.utilization', unit: 'ratio', description: 'used / total memory, 0..1' },
      { family: 'swap.utilization', unit: 'ratio', description: 'used / total swap, 0..1' },
    ],
    values: ({ memory }) => [
      ['memory.utilization', memory.utilization],
      ...(memory.swapUtilization !== null ? [['swap.utilization', memory.swapUtilization] as [string, number]] : []),
    ],
  },
  thresholds: { memory: { warn: 0.8, fail: 0.9, for: 60_000 } },
  checks: {
    judge: ({ memory }) => [{ ...CHECK, value: memory.utilization, describe: (v) => `memory ${pct(v)} used` }],
    missing: () => [CHECK],
  },
  report: {
    section: 'memory',
    describes: 'memory and swap (bytes; used = total − available)',
    schema: MemorySample,
    data: ({ memory }) => memory,
    text: (m: MemorySample, f) => [
      `Memory ${f.bytes(m.usedBytes)} of ${f.bytes(m.totalBytes)} used (${pct(m.utilization)}); ` +
        `swap ${m.swapTotalBytes ? `${f.bytes(m.swapUsedBytes)} of ${f.bytes(m.swapTotalBytes)}` : 'none'}`,
    ],
  },
});
