import { availableParallelism, loadavg } from 'node:os';
import type { Probe } from '../types.js';
import type { LoadSample } from './types.js';

/** Load averages via os.loadavg() (a syscall, no file, no fork), also divided by the core count. */
export class LoadCollector implements Probe<LoadSample> {
  readonly kind = 'load';
  async run(): Promise<LoadSample> {
    const [load1 = 0, load5 = 0, load15 = 0] = loadavg();
    const cores = availableParallelism();
    return { load1, load5, load15, perCore1: load1 / cores, perCore5: load5 / cores, perCore15: load15 / cores, cores };
  }
}
