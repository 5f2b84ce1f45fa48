import { hostCollectors, hostView, stateOf, type AnyHostCollector } from '../monitor/host-view.js';
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

const HOST = hostCollectors as readonly AnyHostCollector[];

/** Instruments observed from the snapshot: each host collector's (in registry order), then the daemon's own. */
export const OBSERVED: readonly InstrumentSpec[] = [
  ...HOST.flatMap((c) => (c.metrics?.instruments ?? []).map((i) => spec(i.name, i.kind, i.unit, i.description))),
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
];

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

export type ObservedName = string;
export type Attributes = Record<string, string>;
export type Emit = (name: ObservedName, value: number, attributes?: Attributes) => void;

/**
 * Everything the snapshot says, as observations of the OBSERVED instruments. Labels are bounded: check and
 * instance names come from the config, mountpoints and interfaces from the host (after its exclusions);
 * no URL, address or error text is ever a label.
 */
export function observeSnapshot(s: Snapshot, emit: Emit): void {
  const host = hostView(s);
  for (const c of HOST) {
    const state = c.metrics && stateOf(c, host);
    if (state) c.metrics!.observe(state, emit, host);
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
