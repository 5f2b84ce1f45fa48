import type { Probe } from '../types.js';
import type { MemorySample } from './types.js';

/** Memory from systeminformation's mem(), which on Linux reads /proc/meminfo without forking. */
export class MemoryCollector implements Probe<MemorySample> {
  readonly kind = 'memory';
  async run(): Promise<MemorySample> {
    // Loaded on first use: ~65 ms of module loading that must not delay the stdio `initialize` reply.
    const si = (await import('systeminformation')).default;
    const m = await si.mem();
    const used = m.total - m.available;
    return {
      totalBytes: m.total,
      availableBytes: m.available,
      usedBytes: used,
      freeBytes: m.free,
      buffersBytes: m.buffers,
      cachedBytes: m.cached,
      utilization: m.total > 0 ? used / m.total : 0,
      swapTotalBytes: m.swaptotal,
      swapUsedBytes: m.swapused,
      swapUtilization: m.swaptotal > 0 ? m.swapused / m.swaptotal : null,
    };
  }
}
