import { readdir } from 'node:fs/promises';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Probe } from '../types.js';
import { readProc } from './procfs.js';
import type { ProcessSample } from './types.js';

/** The daemon's own process: memory, CPU, event-loop delay and file descriptors. */
export class ProcessCollector implements Probe<ProcessSample> {
  readonly kind = 'process';
  private readonly loop: IntervalHistogram;
  private prevCpu: { at: number; usage: NodeJS.CpuUsage } | undefined;
  private maxFds: number | null | undefined;

  constructor() {
    // 50 ms resolution: finer sampling wakes the loop often enough to show in idle CPU.
    this.loop = monitorEventLoopDelay({ resolution: 50 });
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
    const ns = (v: number) => (Number.isFinite(v) ? v / 1e9 : 0);
    const eventLoopDelaySeconds = {
      p50: ns(this.loop.percentile(50)),
      p99: ns(this.loop.percentile(99)),
      max: ns(this.loop.max),
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
      openFds: await readdir(`/proc/self/fd`).then(
        (d) => d.length,
        () => null,
      ),
      maxFds: await this.readMaxFds(signal),
    };
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
