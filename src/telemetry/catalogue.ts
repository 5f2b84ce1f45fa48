import type { Snapshot } from '../monitor/schema.js';
import { STATUS_RANK as STATUS_VALUE } from '../shared/status.js';
import type { StoreStats } from '../store/types.js';

/**
 * Every metric the daemon exports, in one place: the README table and the dashboards issue build on these
 * names. Observable instruments read the snapshot (a scrape never samples); the rest are recorded as things
 * happen (probe runs, MCP requests).
 */
type InstrumentKind = 'gauge' | 'counter' | 'updowncounter' | 'histogram';

export interface InstrumentSpec {
  name: string;
  kind: InstrumentKind;
  unit: string;
  description: string;
  /** Histogram bucket boundaries. */
  buckets?: number[];
}

const spec = (
  name: string,
  kind: InstrumentKind,
  unit: string,
  description: string,
  buckets?: number[],
): InstrumentSpec => ({
  name,
  kind,
  unit,
  description,
  ...(buckets ? { buckets } : {}),
});

// Bucket boundaries the OTel MCP conventions recommend for both MCP histograms.
const MCP_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
// The HTTP semantic conventions' recommended boundaries.
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
// Probe runs range from a /proc read (~100 µs) to a dependency timing out (seconds).
const PROBE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Instruments observed from the snapshot. */
export const OBSERVED = [
  spec(
    'system.cpu.utilization',
    'gauge',
    '1',
    'Share of CPU time per mode across all logical CPUs since the previous sample.',
  ),
  spec('system.cpu.time', 'counter', 's', 'CPU seconds per mode since boot, summed over all logical CPUs.'),
  spec('system.cpu.logical.count', 'updowncounter', '{cpu}', 'Number of logical CPUs.'),
  spec(
    'system.cpu.load_average.1m',
    'gauge',
    '{thread}',
    'Load average over 1 minute (runnable and uninterruptible tasks).',
  ),
  spec('system.cpu.load_average.5m', 'gauge', '{thread}', 'Load average over 5 minutes.'),
  spec('system.cpu.load_average.15m', 'gauge', '{thread}', 'Load average over 15 minutes.'),
  spec('system.memory.usage', 'updowncounter', 'By', 'Memory in use by state; used is total minus available.'),
  spec('system.memory.utilization', 'gauge', '1', 'Share of memory by state; used is (total - available) / total.'),
  spec('system.memory.limit', 'updowncounter', 'By', 'Total memory.'),
  spec(
    'system.memory.linux.available',
    'updowncounter',
    'By',
    'Memory available for new work without swapping (MemAvailable).',
  ),
  spec('system.paging.usage', 'updowncounter', 'By', 'Swap space by state.'),
  spec('system.paging.utilization', 'gauge', '1', 'Share of swap space by state.'),
  spec(
    'system.filesystem.usage',
    'updowncounter',
    'By',
    'Filesystem space by state: used, free to users, and reserved for root.',
  ),
  spec(
    'system.filesystem.utilization',
    'gauge',
    '1',
    'Share of filesystem space used, as df reports it: used / (used + free to users).',
  ),
  spec('system.filesystem.limit', 'updowncounter', 'By', 'Filesystem size.'),
  spec('system.filesystem.inodes.utilization', 'gauge', '1', 'Share of filesystem inodes used.'),
  spec('system.network.io', 'counter', 'By', 'Bytes received and transmitted per interface.'),
  spec('system.network.packet.count', 'counter', '{packet}', 'Packets received and transmitted per interface.'),
  spec('system.network.errors', 'counter', '{error}', 'Receive and transmit errors per interface.'),
  spec(
    'system.network.packet.dropped',
    'counter',
    '{packet}',
    'Packets dropped on receive and transmit per interface.',
  ),
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
  spec('nodejs.eventloop.delay.p50', 'gauge', 's', 'Median event-loop delay of the daemon since the previous sample.'),
  spec(
    'nodejs.eventloop.delay.p99',
    'gauge',
    's',
    '99th percentile event-loop delay of the daemon since the previous sample.',
  ),
  spec('nodejs.eventloop.delay.max', 'gauge', 's', 'Largest event-loop delay of the daemon since the previous sample.'),
  spec('vitals.overall.status', 'gauge', '', 'Overall status of the daemon: 0 pass, 1 warn, 2 fail.'),
  spec(
    'vitals.check.status',
    'gauge',
    '',
    'Reported status of each check (after consecutive-run thresholds): 0 pass, 1 warn, 2 fail.',
  ),
  spec(
    'vitals.check.up',
    'gauge',
    '',
    '1 when the latest run of a dependency check reached at least one of its instances, else 0.',
  ),
  spec(
    'vitals.check.latency',
    'gauge',
    's',
    'Response time of a dependency check in its latest run (slowest instance that answered).',
  ),
  spec(
    'vitals.breaker.open',
    'gauge',
    '',
    '1 while the circuit breaker of a dependency check is open (runs are skipped), else 0.',
  ),
  spec(
    'vitals.cert.expiry.timestamp',
    'gauge',
    's',
    'Unix time at which the TLS certificate seen by an http check expires.',
  ),
  spec('vitals.history.series', 'updowncounter', '{series}', 'Series held by the history store.'),
  spec(
    'vitals.history.memory.usage',
    'updowncounter',
    'By',
    'Memory held by the history store (memory rings, or the PostgreSQL write-behind buffer).',
  ),
  spec('vitals.history.samples.buffered', 'updowncounter', '{sample}', 'Samples waiting to be written to PostgreSQL.'),
  spec('vitals.history.samples.written', 'counter', '{sample}', 'Samples written to the history store since start.'),
  spec(
    'vitals.history.samples.dropped',
    'counter',
    '{sample}',
    'Samples lost for good: write-behind buffer overflow while PostgreSQL was away, or over the series limit.',
  ),
  spec(
    'vitals.history.store.available',
    'gauge',
    '',
    '1 while the history store can be written to, else 0 (PostgreSQL unreachable).',
  ),
  spec(
    'vitals.limit.refusals',
    'counter',
    '{refusal}',
    'Requests refused past a bound (limits table in the README), by limit.',
  ),
] as const;

/** Instruments recorded as events happen. */
export const RECORDED = {
  checkDuration: spec(
    'vitals.check.duration',
    'histogram',
    's',
    'Duration of probe runs: dependency check rounds and host collectors (kind host.*).',
    PROBE_BUCKETS,
  ),
  checkRuns: spec('vitals.check.runs', 'counter', '{run}', 'Probe runs by outcome (success or failure).'),
  mcpOperation: spec(
    'mcp.server.operation.duration',
    'histogram',
    's',
    'Duration of MCP requests as handled by the server.',
    MCP_BUCKETS,
  ),
  mcpSession: spec(
    'mcp.server.session.duration',
    'histogram',
    's',
    'Duration of MCP sessions, recorded when a session ends.',
    MCP_BUCKETS,
  ),
  httpServer: spec(
    'http.server.request.duration',
    'histogram',
    's',
    'Duration of HTTP requests the daemon served, by method, route and status.',
    HTTP_BUCKETS,
  ),
  mcpSessions: spec(
    'vitals.mcp.sessions',
    'updowncounter',
    '{session}',
    'MCP sessions open now (a stdio client counts as one while connected).',
  ),
} as const;

export type ObservedName = (typeof OBSERVED)[number]['name'];
export type Attributes = Record<string, string>;
export type Emit = (name: ObservedName, value: number, attributes?: Attributes) => void;

/**
 * Everything the snapshot says, as observations of the OBSERVED instruments. Labels are bounded: check and
 * instance names come from the config, mountpoints and interfaces from the host (after its exclusions);
 * no URL, address or error text is ever a label.
 */
export function observeSnapshot(s: Snapshot, emit: Emit): void {
  const { cpu, load, memory, filesystems, network } = s.host;
  if (cpu) {
    for (const [mode, share] of Object.entries(cpu.modes)) emit('system.cpu.utilization', share, { 'cpu.mode': mode });
    for (const [mode, seconds] of Object.entries(cpu.secondsTotal))
      emit('system.cpu.time', seconds, { 'cpu.mode': mode });
    emit('system.cpu.logical.count', cpu.cores);
  }
  if (load) {
    emit('system.cpu.load_average.1m', load.load1);
    emit('system.cpu.load_average.5m', load.load5);
    emit('system.cpu.load_average.15m', load.load15);
  }
  if (memory) {
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
      emit('system.paging.utilization', memory.swapUsedBytes / memory.swapTotalBytes, {
        'system.paging.state': 'used',
      });
      emit('system.paging.utilization', free / memory.swapTotalBytes, { 'system.paging.state': 'free' });
    }
  }
  for (const fs of filesystems ?? []) {
    const base = {
      'system.device': fs.device,
      'system.filesystem.mountpoint': fs.mountpoint,
      'system.filesystem.type': fs.type,
      'system.filesystem.mode': fs.readOnly ? 'ro' : 'rw',
    };
    emit('system.filesystem.usage', fs.usedBytes, { ...base, 'system.filesystem.state': 'used' });
    emit('system.filesystem.usage', fs.availableBytes, { ...base, 'system.filesystem.state': 'free' });
    emit('system.filesystem.usage', fs.reservedBytes, { ...base, 'system.filesystem.state': 'reserved' });
    emit('system.filesystem.utilization', fs.utilization, { ...base, 'system.filesystem.state': 'used' });
    emit('system.filesystem.limit', fs.sizeBytes, base);
    if (fs.inodesUtilization !== null) emit('system.filesystem.inodes.utilization', fs.inodesUtilization, base);
  }
  for (const n of network ?? []) {
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
  const p = s.self;
  if (p) {
    emit('process.memory.usage', p.rssBytes);
    emit('process.cpu.time', p.cpuSecondsTotal.user, { 'cpu.mode': 'user' });
    emit('process.cpu.time', p.cpuSecondsTotal.system, { 'cpu.mode': 'system' });
    // The probe measures a share of one core; the convention divides by every CPU the process may use.
    if (p.cpuUtilization !== null) emit('process.cpu.utilization', p.cpuUtilization / (cpu?.cores || 1));
    emit('process.uptime', p.uptimeSeconds);
    if (p.openFds !== null) emit('process.unix.file_descriptor.count', p.openFds);
    if (p.maxFds !== null) emit('process.unix.file_descriptor.limit', p.maxFds);
    emit('v8js.memory.heap.used', p.heapUsedBytes);
    emit('nodejs.eventloop.delay.p50', p.eventLoopDelaySeconds.p50);
    emit('nodejs.eventloop.delay.p99', p.eventLoopDelaySeconds.p99);
    emit('nodejs.eventloop.delay.max', p.eventLoopDelaySeconds.max);
  }
  emit('vitals.overall.status', STATUS_VALUE[s.status]);
  for (const c of Object.values(s.checks)) {
    // kind and critical let alerts page on critical checks and dashboards split host from dependencies.
    // A pending check (no result yet) has no status to export: an absent series, not a false 0.
    if (c.status !== 'pending')
      emit('vitals.check.status', STATUS_VALUE[c.status], {
        check: c.name,
        kind: c.kind,
        critical: String(c.critical),
      });
    if (c.group !== 'dependency') continue;
    // Before its first round a dependency has no instances that answered or not: nothing to report yet.
    if ((c.runs ?? 0) > 0)
      emit('vitals.check.up', c.instances?.some((i) => i.ok) ? 1 : 0, { check: c.name, kind: c.kind });
    if (c.latencySeconds !== null && c.latencySeconds !== undefined)
      emit('vitals.check.latency', c.latencySeconds, { check: c.name });
    if (c.breaker !== undefined) emit('vitals.breaker.open', c.breaker === 'open' ? 1 : 0, { check: c.name });
    for (const i of c.instances ?? []) {
      const expiry = i.values.certExpiryTimestampSeconds;
      if (expiry !== undefined) emit('vitals.cert.expiry.timestamp', expiry, { check: c.name, check_instance: i.name });
    }
  }
}

/** What the history store says of itself, as far as metrics need it. */
export type HistoryStats = Pick<
  StoreStats,
  'kind' | 'series' | 'bytes' | 'buffered' | 'dropped' | 'written' | 'available'
>;

export function observeHistory(h: HistoryStats, emit: Emit): void {
  const store = { 'vitals.history.store.kind': h.kind };
  emit('vitals.history.series', h.series, store);
  emit('vitals.history.memory.usage', h.bytes, store);
  emit('vitals.history.samples.buffered', h.buffered, store);
  emit('vitals.history.samples.written', h.written, store);
  emit('vitals.history.samples.dropped', h.dropped, store);
  emit('vitals.history.store.available', h.available ? 1 : 0, store);
}

/** Refusals past each bound; every limit is emitted, zero included, so alerts need no absent(). */
export function observeRefusals(counts: ReadonlyMap<string, number>, emit: Emit): void {
  for (const [limit, n] of counts) emit('vitals.limit.refusals', n, { limit });
}
