import { readdirSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { z } from 'zod';
import { TimerDuration } from '../../shared/duration.js';
import { defineHostCollector, type HostProbe } from './collector.js';
import { onKernelProcfs, readProc } from './procfs.js';

export const ProcessSample = z.object({
  pid: z.number().int(),
  uptimeSeconds: z.number(),
  rssBytes: z.number(),
  heapUsedBytes: z.number(),
  heapTotalBytes: z.number(),
  externalBytes: z.number(),
  cpuSecondsTotal: z.object({ user: z.number(), system: z.number() }),
  cpuUtilization: z.number().nullable().describe('share of one core since the previous sample'),
  eventLoopDelaySeconds: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
  openFds: z.number().int().nullable(),
  maxFds: z.number().int().nullable(),
});
export type ProcessSample = z.infer<typeof ProcessSample>;

/**
 * How often the event-loop delay timer fires by default, in ms (`host.process.eventLoopDelayResolution`;
 * bench/host.mjs reads it from the built module). Each firing wakes an idle process, ~100 µs of CPU on this
 * project's 2-core VM: at 200 ms that was 0.058 % of a core, at 500 ms ~3 ms per 15 s, a fifth of an idle daemon
 * scraped every 15 s; at 1 s half that. A stall of 1 s or more is always seen, a shorter one with a chance of its
 * length / 1 s; who needs shorter stalls seen every time sets a finer resolution and pays its wakeups.
 */
export const DELAY_RESOLUTION_MS = 1000;

/**
 * A delay in seconds from one of the histogram's readings (ns). Node records the time between two firings of its
 * timer, that is the resolution plus how late the timer was: an idle loop read 0.5 s at a 500 ms resolution. The
 * delay is the lateness alone.
 */
export function delaySeconds(readingNs: number, resolutionMs = DELAY_RESOLUTION_MS): number {
  if (!Number.isFinite(readingNs)) return 0;
  return Math.max(0, readingNs / 1e6 - resolutionMs) / 1000;
}

const ProcessOptions = z
  .object({
    /** Finer catches shorter stalls, at a wakeup per reading. */
    eventLoopDelayResolution: TimerDuration.refine((ms) => ms >= 10 && ms <= 5000, {
      message: 'between 10ms and 5s',
    }).default(DELAY_RESOLUTION_MS),
  })
  .strict();

/** The daemon's own process: memory, CPU, event-loop delay and file descriptors. */
class ProcessCollector implements HostProbe<ProcessSample> {
  readonly kind = 'process';
  private readonly loop: IntervalHistogram;
  private prevCpu: { at: number; usage: NodeJS.CpuUsage } | undefined;
  private maxFds: number | null | undefined;

  constructor(private readonly resolutionMs = DELAY_RESOLUTION_MS) {
    // A reading is how late the timer fired (delaySeconds), so a stall of one resolution or more is always seen, at
    // up to its length (the part after the timer fell due), a shorter one with a chance of its length / resolution.
    // Node's reset() drops the interval in progress, so a stall within one resolution after a sample is not seen.
    this.loop = monitorEventLoopDelay({ resolution: resolutionMs });
    this.loop.enable();
  }

  async run(signal: AbortSignal): Promise<ProcessSample> {
    const mem = process.memoryUsage();
    const usage = process.cpuUsage();
    const at = performance.now();
    const prev = this.prevCpu;
    this.prevCpu = { at, usage };
    const cpuUtilization = prev
      ? (usage.user - prev.usage.user + usage.system - prev.usage.system) / 1000 / (at - prev.at)
      : null;
    const eventLoopDelaySeconds = {
      p50: delaySeconds(this.loop.percentile(50), this.resolutionMs),
      p99: delaySeconds(this.loop.percentile(99), this.resolutionMs),
      max: delaySeconds(this.loop.max, this.resolutionMs),
    };
    this.loop.reset();
    return {
      pid: process.pid,
      uptimeSeconds: process.uptime(),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      externalBytes: mem.external,
      cpuSecondsTotal: { user: usage.user / 1e6, system: usage.system / 1e6 },
      cpuUtilization,
      eventLoopDelaySeconds,
      openFds: await this.countFds(),
      maxFds: await this.readMaxFds(signal),
    };
  }

  /** On the kernel's procfs, read in place (see ProcFile): a trip through the thread pool cost more. */
  private readonly fdsInPlace = onKernelProcfs('/proc/self/fd');

  /**
   * Linux 6.2 and later give the count as the directory's size, without a listing (a tenth of an idle host tick
   * went to listing it); an older kernel says 0 there and is listed. A listing also sees the descriptor it reads
   * the directory through, which is not counted.
   */
  private countFds(): Promise<number | null> | number | null {
    if (!this.fdsInPlace)
      return readdir('/proc/self/fd').then(
        (d) => d.length - 1,
        () => null,
      );
    try {
      return statSync('/proc/self/fd').size || readdirSync('/proc/self/fd').length - 1;
    } catch {
      return null;
    }
  }

  private async readMaxFds(signal: AbortSignal): Promise<number | null> {
    if (this.maxFds !== undefined) return this.maxFds;
    try {
      const m = /^Max open files\s+(\d+)/m.exec(await readProc('/proc', 'self/limits', signal));
      this.maxFds = m ? Number(m[1]) : null;
    } catch {
      this.maxFds = null;
    }
    return this.maxFds;
  }

  async close(): Promise<void> {
    this.loop.disable();
  }
}

const spec = (name: string, kind: 'gauge' | 'counter' | 'updowncounter', unit: string, description: string) => ({
  name,
  kind,
  unit,
  description,
});

/** The daemon's own process: reported beside the host (`snapshot.self`), not as part of it. */
export const collector = defineHostCollector({
  name: 'process',
  defaultEnabled: true,
  state: { self: ProcessSample },
  toState: (self: ProcessSample) => ({ self }),
  options: {
    process: ProcessOptions.default({ eventLoopDelayResolution: DELAY_RESOLUTION_MS }),
  },
  create: (_paths, { process: options }) => new ProcessCollector(options.eventLoopDelayResolution),
  metrics: {
    instruments: [
      spec('process.memory.usage', 'updowncounter', 'By', 'Resident set size of the daemon.'),
      spec('process.cpu.time', 'counter', 's', 'CPU seconds used by the daemon, by mode.'),
      spec(
        'process.cpu.utilization',
        'gauge',
        '1',
        'CPU used by the daemon since the previous sample, as a share of all logical CPUs.',
      ),
      spec('process.uptime', 'gauge', 's', 'Seconds since the daemon started.'),
      spec(
        'process.unix.file_descriptor.count',
        'updowncounter',
        '{file_descriptor}',
        'File descriptors open in the daemon.',
      ),
      spec(
        'process.unix.file_descriptor.limit',
        'updowncounter',
        '{file_descriptor}',
        'Soft limit on file descriptors of the daemon.',
      ),
      spec('v8js.memory.heap.used', 'updowncounter', 'By', 'V8 heap in use by the daemon.'),
      spec(
        'nodejs.eventloop.delay.p50',
        'gauge',
        's',
        'Median event-loop delay of the daemon since the previous sample.',
      ),
      spec(
        'nodejs.eventloop.delay.p99',
        'gauge',
        's',
        '99th percentile event-loop delay of the daemon since the previous sample.',
      ),
      spec(
        'nodejs.eventloop.delay.max',
        'gauge',
        's',
        'Largest event-loop delay of the daemon since the previous sample.',
      ),
    ],
    observe({ self: p }, emit, host) {
      emit('process.memory.usage', p.rssBytes);
      emit('process.cpu.time', p.cpuSecondsTotal.user, { 'cpu.mode': 'user' });
      emit('process.cpu.time', p.cpuSecondsTotal.system, { 'cpu.mode': 'system' });
      // The probe measures a share of one core; the convention divides by every CPU the process may use.
      const cores = (host.cpu as { cores?: number } | undefined)?.cores;
      if (p.cpuUtilization !== null) emit('process.cpu.utilization', p.cpuUtilization / (cores || 1));
      emit('process.uptime', p.uptimeSeconds);
      if (p.openFds !== null) emit('process.unix.file_descriptor.count', p.openFds);
      if (p.maxFds !== null) emit('process.unix.file_descriptor.limit', p.maxFds);
      emit('v8js.memory.heap.used', p.heapUsedBytes);
      emit('nodejs.eventloop.delay.p50', p.eventLoopDelaySeconds.p50);
      emit('nodejs.eventloop.delay.p99', p.eventLoopDelaySeconds.p99);
      emit('nodejs.eventloop.delay.max', p.eventLoopDelaySeconds.max);
    },
  },
  series: {
    families: [{ family: 'self.rss', unit: 'By', description: 'resident memory of the mcp-vitals daemon' }],
    values: ({ self }) => [['self.rss', self.rssBytes]],
  },
});
