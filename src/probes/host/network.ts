import type { Probe } from '../types.js';
import { readProc } from './procfs.js';
import type { NetworkSample } from './types.js';

interface Counters {
  rxBytes: number;
  rxPackets: number;
  rxErrs: number;
  rxDrop: number;
  txBytes: number;
  txPackets: number;
  txErrs: number;
  txDrop: number;
}

export function parseNetDev(text: string): Map<string, Counters> {
  const out = new Map<string, Counters>();
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out.set(m[1]!, {
      rxBytes: f[0]!,
      rxPackets: f[1]!,
      rxErrs: f[2]!,
      rxDrop: f[3]!,
      txBytes: f[8]!,
      txPackets: f[9]!,
      txErrs: f[10]!,
      txDrop: f[11]!,
    });
  }
  return out;
}

/** Per-interface counters from /proc/net/dev (systeminformation's networkStats() forks `cat` per interface). */
export class NetworkCollector implements Probe<NetworkSample[]> {
  readonly kind = 'network';
  private prev: { at: number; counters: Map<string, Counters> } | undefined;
  private readonly exclude: RegExp;

  private readonly procfs: string;

  constructor(options: { excludeInterfaces: string; procfs?: string }) {
    this.procfs = options.procfs ?? '/proc';
    this.exclude = new RegExp(options.excludeInterfaces);
  }

  async run(signal: AbortSignal): Promise<NetworkSample[]> {
    const at = performance.now();
    const counters = parseNetDev(await readProc(this.procfs, 'net/dev', signal));
    const prev = this.prev;
    this.prev = { at, counters };
    const seconds = prev ? (at - prev.at) / 1000 : 0;
    const out: NetworkSample[] = [];
    for (const [name, c] of counters) {
      if (this.exclude.test(name)) continue;
      const p = prev?.counters.get(name);
      const rate = (cur: number, old: number | undefined) =>
        old !== undefined && seconds > 0 && cur >= old ? (cur - old) / seconds : null;
      out.push({
        interface: name,
        receiveBytes: c.rxBytes,
        transmitBytes: c.txBytes,
        receivePackets: c.rxPackets,
        transmitPackets: c.txPackets,
        receiveErrors: c.rxErrs,
        transmitErrors: c.txErrs,
        receiveDropped: c.rxDrop,
        transmitDropped: c.txDrop,
        receiveBytesPerSecond: rate(c.rxBytes, p?.rxBytes),
        transmitBytesPerSecond: rate(c.txBytes, p?.txBytes),
      });
    }
    return out.sort((a, b) => a.interface.localeCompare(b.interface));
  }
}
