import { z } from 'zod';
import { plural } from '../../shared/words.js';
import {
  CpuSample,
  FilesystemSample,
  LoadSample,
  MemorySample,
  NetworkSample,
  ToolStats,
} from '../../monitor/schema.js';
import { formatBytes } from '../../shared/format.js';
import { defineTool, READ_ONLY } from './types.js';

const SECTIONS = ['cpu', 'load', 'memory', 'filesystems', 'network', 'daemon'] as const;

const Daemon = z.object({
  pid: z.number().int(),
  uptimeSeconds: z.number(),
  rssBytes: z.number(),
  heapUsedBytes: z.number(),
  eventLoopDelaySeconds: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
  cpuUtilization: z.number().nullable().describe('share of one core'),
  openFds: z.number().int().nullable(),
  tools: ToolStats,
});

export const getMetricsTool = defineTool({
  name: 'get_metrics',
  title: 'Host and daemon metrics',
  description:
    'Current figures for this machine in base units: CPU utilisation (ratio 0..1, total, per mode and per core), ' +
    'load averages (also per core), memory and swap (bytes; used = total − available), every real filesystem ' +
    '(bytes, inodes, read-only flag), network bytes and errors per interface, and the mcp-vitals daemon itself ' +
    '(uptime, memory, event-loop delay, MCP tool calls, errors, error rate, latency p50/p95). Use `sections` to ' +
    'ask for less. Read from the latest scheduled sample; no side effects.',
  input: z.object({
    sections: z
      .array(z.enum(SECTIONS))
      .min(1)
      .optional()
      .describe(`Subset of ${SECTIONS.join(', ')}; all when omitted.`),
  }),
  output: z.object({
    time: z.string(),
    hostname: z.string(),
    cpu: CpuSample.optional(),
    load: LoadSample.optional(),
    memory: MemorySample.optional(),
    filesystems: z.array(FilesystemSample).optional(),
    network: z.array(NetworkSample).optional(),
    daemon: Daemon.optional(),
  }),
  annotations: { title: 'Host and daemon metrics', ...READ_ONLY },
  async run(args, { monitor }) {
    await monitor.ready;
    const s = monitor.snapshot;
    const want = new Set(args.sections ?? SECTIONS);
    const self = s.self;
    const daemon = self && {
      pid: self.pid,
      uptimeSeconds: self.uptimeSeconds,
      rssBytes: self.rssBytes,
      heapUsedBytes: self.heapUsedBytes,
      eventLoopDelaySeconds: self.eventLoopDelaySeconds,
      cpuUtilization: self.cpuUtilization,
      openFds: self.openFds,
      tools: s.tools,
    };
    const data = {
      time: s.time,
      hostname: s.hostname,
      ...(want.has('cpu') && s.host.cpu ? { cpu: s.host.cpu } : {}),
      ...(want.has('load') && s.host.load ? { load: s.host.load } : {}),
      ...(want.has('memory') && s.host.memory ? { memory: s.host.memory } : {}),
      ...(want.has('filesystems') && s.host.filesystems ? { filesystems: s.host.filesystems } : {}),
      ...(want.has('network') && s.host.network ? { network: s.host.network } : {}),
      ...(want.has('daemon') && daemon ? { daemon } : {}),
    };
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const lines = [`${s.hostname} at ${s.time}`];
    if (data.cpu)
      lines.push(
        `CPU ${pct(data.cpu.utilization)} busy on ${data.cpu.cores} cores (user ${pct(data.cpu.modes.user ?? 0)}, system ${pct(data.cpu.modes.system ?? 0)}, iowait ${pct(data.cpu.modes.iowait ?? 0)})`,
      );
    if (data.load)
      lines.push(
        `Load ${data.load.load1.toFixed(2)} / ${data.load.load5.toFixed(2)} / ${data.load.load15.toFixed(2)} (${data.load.perCore1.toFixed(2)} per core)`,
      );
    if (data.memory)
      lines.push(
        `Memory ${formatBytes(data.memory.usedBytes)} of ${formatBytes(data.memory.totalBytes)} used (${pct(data.memory.utilization)}); swap ${data.memory.swapTotalBytes ? `${formatBytes(data.memory.swapUsedBytes)} of ${formatBytes(data.memory.swapTotalBytes)}` : 'none'}`,
      );
    for (const f of data.filesystems ?? [])
      lines.push(
        `Disk ${f.mountpoint}: ${formatBytes(f.usedBytes)} of ${formatBytes(f.sizeBytes)} (${pct(f.utilization)})${f.readOnly ? ', read-only' : ''}`,
      );
    for (const n of data.network ?? [])
      lines.push(
        `Net ${n.interface}: rx ${formatBytes(n.receiveBytes)}, tx ${formatBytes(n.transmitBytes)}, errors ${n.receiveErrors + n.transmitErrors}`,
      );
    if (data.daemon) {
      const t = data.daemon.tools;
      lines.push(
        `Daemon: up ${Math.round(data.daemon.uptimeSeconds)}s, RSS ${formatBytes(data.daemon.rssBytes)}, ${plural(t.calls, 'tool call')}, ${plural(t.errors, 'error')}${t.clientErrors ? ` (and ${t.clientErrors} refused as the caller's mistake)` : ''}${t.errorRate !== null ? `, error rate ${pct(t.errorRate)} over ${t.windowSeconds}s` : ''}${t.latencySeconds.p50 !== null ? `, p50 ${(t.latencySeconds.p50 * 1000).toFixed(1)}ms, p95 ${(t.latencySeconds.p95! * 1000).toFixed(1)}ms` : ''}`,
      );
    }
    return { text: lines.join('\n'), data };
  },
});
