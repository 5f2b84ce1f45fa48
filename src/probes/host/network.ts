import { z } from 'zod';
import { defineHostCollector, type HostProbe } from './collector.js';
import { byCodeUnits, ProcFile } from './procfs.js';

export const NetworkSample = z.object({
  interface: z.string(),
  receiveBytes: z.number(),
  transmitBytes: z.number(),
  receivePackets: z.number(),
  transmitPackets: z.number(),
  receiveErrors: z.number(),
  transmitErrors: z.number(),
  receiveDropped: z.number(),
  transmitDropped: z.number(),
  receiveBytesPerSecond: z.number().nullable(),
  transmitBytesPerSecond: z.number().nullable(),
});
export type NetworkSample = z.infer<typeof NetworkSample>;

const EXCLUDED_INTERFACES = '^(veth|docker|br-|cni|flannel|cali|virbr)';

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
class NetworkCollector implements HostProbe<NetworkSample[]> {
  readonly kind = 'network';
  private prev: { at: number; counters: Map<string, Counters> } | undefined;
  private readonly exclude: RegExp;

  private readonly file: ProcFile;

  constructor(options: { excludeInterfaces: string; procfs?: string }) {
    this.file = new ProcFile(`${options.procfs ?? '/proc'}/net/dev`);
    this.exclude = new RegExp(options.excludeInterfaces);
  }

  async run(signal: AbortSignal): Promise<NetworkSample[]> {
    const at = performance.now();
    const counters = parseNetDev(await this.file.read(signal));
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
    return out.sort((a, b) => byCodeUnits(a.interface, b.interface));
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

export const collector = defineHostCollector({
  name: 'network',
  defaultEnabled: true,
  state: { network: z.array(NetworkSample) },
  toState: (network: NetworkSample[]) => ({ network }),
  options: {
    network: z
      .object({ excludeInterfaces: z.string().default(EXCLUDED_INTERFACES) })
      .strict()
      .default({ excludeInterfaces: EXCLUDED_INTERFACES }),
  },
  create: (paths, { network }) => new NetworkCollector({ ...network, procfs: paths.procfs }),
  metrics: {
    instruments: [
      {
        name: 'system.network.io',
        kind: 'counter',
        unit: 'By',
        description: 'Bytes received and transmitted per interface.',
      },
      {
        name: 'system.network.packet.count',
        kind: 'counter',
        unit: '{packet}',
        description: 'Packets received and transmitted per interface.',
      },
      {
        name: 'system.network.errors',
        kind: 'counter',
        unit: '{error}',
        description: 'Receive and transmit errors per interface.',
      },
      {
        name: 'system.network.packet.dropped',
        kind: 'counter',
        unit: '{packet}',
        description: 'Packets dropped on receive and transmit per interface.',
      },
    ],
    observe({ network }, emit) {
      for (const n of network) {
        const rx = { 'network.interface.name': n.interface, 'network.io.direction': 'receive' };
        const tx = { 'network.interface.name': n.interface, 'network.io.direction': 'transmit' };
        emit('system.network.io', n.receiveBytes, rx);
        emit('system.network.io', n.transmitBytes, tx);
        emit('system.network.packet.count', n.receivePackets, rx);
        emit('system.network.packet.count', n.transmitPackets, tx);
        emit('system.network.errors', n.receiveErrors, rx);
        emit('system.network.errors', n.transmitErrors, tx);
        emit('system.network.packet.dropped', n.receiveDropped, rx);
        emit('system.network.packet.dropped', n.transmitDropped, tx);
      }
    },
  },
  series: {
    families: [
      { family: 'network.receive', unit: 'By/s', description: 'bytes received per second, per interface' },
      { family: 'network.transmit', unit: 'By/s', description: 'bytes sent per second, per interface' },
    ],
    values({ network }) {
      const v: [string, number][] = [];
      for (const n of network) {
        if (n.receiveBytesPerSecond !== null) v.push([`network.receive:${n.interface}`, n.receiveBytesPerSecond]);
        if (n.transmitBytesPerSecond !== null) v.push([`network.transmit:${n.interface}`, n.transmitBytesPerSecond]);
      }
      return v;
    },
  },
  report: {
    section: 'network',
    describes: 'network bytes and errors per interface',
    schema: z.array(NetworkSample),
    data: ({ network }) => network,
    text: (list: NetworkSample[], f) =>
      list.map(
        (n) =>
          `Net ${n.interface}: rx ${f.bytes(n.receiveBytes)}, tx ${f.bytes(n.transmitBytes)}, ` +
          `errors ${n.receiveErrors + n.transmitErrors}`,
      ),
  },
});
