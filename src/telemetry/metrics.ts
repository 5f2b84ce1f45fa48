import type { Attributes as OtelAttributes, Meter, Observable } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { Logger } from 'pino';
import type { HealthMonitor, ProbeRunInfo } from '../monitor/health-monitor.js';
import { refusalCounts, refusalTotal } from '../shared/refusals.js';
import {
  OBSERVED,
  RECORDED,
  observeHistory,
  observeRefusals,
  observeSnapshot,
  type Emit,
  type HistoryStats,
  type InstrumentSpec,
  type ObservedName,
} from './catalogue.js';
import { Exposition } from './exposition.js';
import { ObservedFamilies } from './observed-families.js';
import { RecordedFamily } from './recorded-families.js';
import { serializePrometheus } from './serializer.js';
import type { TelemetrySettings } from './settings.js';

export interface MetricsOptions {
  monitor: HealthMonitor;
  resource: Resource;
  settings: TelemetrySettings;
  /** Serve /metrics (the HTTP server is up); otherwise only OTLP reads the instruments. */
  prometheus: boolean;
  log: Logger;
  version: string;
  /** The history store's own figures, when there is a store. */
  historyStats?: () => HistoryStats | undefined;
}

export interface Metrics {
  /** The /metrics page; absent when nothing serves it. */
  exposition: Exposition | undefined;
  recordOperation(seconds: number, attributes: OtelAttributes): void;
  recordSession(seconds: number, attributes: OtelAttributes): void;
  recordHttp(seconds: number, attributes: OtelAttributes): void;
  /** +1 when a session opens, -1 when it ends. */
  sessionsOpen(delta: number, attributes: OtelAttributes): void;
  shutdown(): Promise<void>;
}

function createObservable(meter: Meter, s: InstrumentSpec): Observable {
  const options = { description: s.description, unit: s.unit };
  if (s.kind === 'counter') return meter.createObservableCounter(s.name, options);
  if (s.kind === 'updowncounter') return meter.createObservableUpDownCounter(s.name, options);
  return meter.createObservableGauge(s.name, options);
}

type Recorder = (value: number, attributes: OtelAttributes) => void;

function createRecorded(meter: Meter, s: InstrumentSpec): Recorder {
  const options = { description: s.description, unit: s.unit };
  if (s.kind === 'counter') {
    const c = meter.createCounter(s.name, options);
    return (v, a) => c.add(v, a);
  }
  if (s.kind === 'updowncounter') {
    const c = meter.createUpDownCounter(s.name, options);
    return (v, a) => c.add(v, a);
  }
  const h = meter.createHistogram(s.name, {
    ...options,
    ...(s.buckets ? { advice: { explicitBucketBoundaries: s.buckets } } : {}),
  });
  return (v, a) => h.record(v, a);
}

type ProbeRunAttributes = { run: { check: string; kind: string } } & Record<ProbeRunInfo['outcome'], OtelAttributes>;

function probeRunAttributes(check: string, kind: string): ProbeRunAttributes {
  const run = Object.freeze({ check, kind });
  return {
    run,
    success: Object.freeze({ ...run, outcome: 'success' }),
    failure: Object.freeze({ ...run, outcome: 'failure' }),
    skipped: Object.freeze({ ...run, outcome: 'skipped' }),
  };
}

// Created in this order, as the page lists them after the observed ones.
const RECORDED_ORDER = [
  RECORDED.checkDuration,
  RECORDED.checkRuns,
  RECORDED.mcpOperation,
  RECORDED.mcpSession,
  RECORDED.httpServer,
  RECORDED.mcpSessions,
] as const;

/**
 * Every instrument as OpenTelemetry instruments on one MeterProvider, read by a periodic OTLP reader: the
 * observable ones over the monitor's snapshot, the recorded ones fed as /metrics's are.
 */
async function otlpInstruments(o: MetricsOptions, fill: (emit: Emit) => void) {
  const [{ metricExporter }, { MeterProvider, PeriodicExportingMetricReader }] = await Promise.all([
    import('./otlp.js'),
    import('@opentelemetry/sdk-metrics'),
  ]);
  const reader = new PeriodicExportingMetricReader({
    exporter: await metricExporter(o.settings.metricsProtocol),
    exportIntervalMillis: o.settings.metricExportIntervalMs,
    exportTimeoutMillis: Math.min(o.settings.metricExportTimeoutMs, o.settings.metricExportIntervalMs),
  });
  const provider = new MeterProvider({ resource: o.resource, readers: [reader] });
  const meter = provider.getMeter('mcp-vitals', o.version);
  const observables = new Map<ObservedName, Observable>(OBSERVED.map((s) => [s.name, createObservable(meter, s)]));
  meter.addBatchObservableCallback(
    (result) =>
      fill((name, value, attributes) => {
        if (Number.isFinite(value)) result.observe(observables.get(name)!, value, attributes);
      }),
    [...observables.values()],
  );
  const recorders = new Map(RECORDED_ORDER.map((s) => [s, createRecorded(meter, s)]));
  return { provider, recorders };
}

/**
 * The metrics: /metrics text rendered by our own families (ObservedFamilies over the snapshot, a RecordedFamily
 * per recorded instrument), and, when an OTLP endpoint is configured, the same instruments as OpenTelemetry ones
 * exported by a periodic reader. The page used to be an SDK collection through a Prometheus reader; at a 15 s
 * scrape that collection was most of a scrape's CPU, and the page's bytes are the same.
 */
export async function createMetrics(o: MetricsOptions): Promise<Metrics> {
  const fill = (emit: Emit) => {
    observeSnapshot(o.monitor.snapshot, emit);
    const history = o.historyStats?.();
    if (history) observeHistory(history, emit);
    observeRefusals(refusalCounts(), emit);
  };
  const otlp = o.settings.otlpMetrics ? await otlpInstruments(o, fill) : undefined;
  const page = o.prometheus
    ? {
        observed: new ObservedFamilies(OBSERVED),
        recorded: new Map(RECORDED_ORDER.map((s) => [s, new RecordedFamily(s)])),
      }
    : undefined;
  const recorder = (s: InstrumentSpec): Recorder => {
    const family = page?.recorded.get(s);
    const otel = otlp?.recorders.get(s);
    if (family && otel)
      return (v, a) => {
        family.record(v, a);
        otel(v, a);
      };
    return family ? (v, a) => family.record(v, a) : (otel ?? (() => {}));
  };
  const checkDuration = recorder(RECORDED.checkDuration);
  const checkRuns = recorder(RECORDED.checkRuns);
  const operation = recorder(RECORDED.mcpOperation);
  const session = recorder(RECORDED.mcpSession);
  const httpServer = recorder(RECORDED.httpServer);
  const sessions = recorder(RECORDED.mcpSessions);

  // Anything recorded between snapshots invalidates the cached page, as a new snapshot does; so does a refusal
  // past a limit (they are observed, not recorded, and may come between snapshots).
  let recorded = 0;
  let versionKey: { snapshot: unknown; recorded: number; refusals: number } = {
    snapshot: undefined,
    recorded: -1,
    refusals: -1,
  };
  const version = () => {
    const snapshot = o.monitor.snapshot;
    const refusals = refusalTotal();
    if (versionKey.snapshot !== snapshot || versionKey.recorded !== recorded || versionKey.refusals !== refusals)
      versionKey = { snapshot, recorded, refusals };
    return versionKey;
  };
  const resource = { resource: o.resource, scopeMetrics: [] };
  const exposition =
    page &&
    new Exposition(() => {
      let text = page.observed.render(fill);
      for (const f of page.recorded.values()) text += f.render();
      return serializePrometheus(resource, text);
    }, version);

  // Probe runs are what the monitor publishes; the subscription ends with the metrics. Each check records with
  // the same frozen attributes every run, which a family maps to its series without hashing them.
  const runAttributes = new Map<string, ProbeRunAttributes>();
  const onProbeRun = (info: ProbeRunInfo) => {
    let a = runAttributes.get(info.check);
    if (a?.run.kind !== info.kind) {
      a = probeRunAttributes(info.check, info.kind);
      runAttributes.set(info.check, a);
    }
    checkDuration(info.durationSeconds, a.run);
    checkRuns(1, a[info.outcome]);
    recorded++;
  };
  o.monitor.on('probe-run', onProbeRun);

  return {
    exposition,
    recordOperation(seconds, attributes) {
      operation(seconds, attributes);
      recorded++;
    },
    recordSession(seconds, attributes) {
      session(seconds, attributes);
      recorded++;
    },
    recordHttp(seconds, attributes) {
      httpServer(seconds, attributes);
      // A scrape's own request does not make the page stale: otherwise every scrape more than maxAge after the
      // last would render afresh even when nothing else changed. It shows on the next rendering.
      if (attributes['http.route'] !== '/metrics') recorded++;
    },
    sessionsOpen(delta, attributes) {
      sessions(delta, attributes);
      recorded++;
    },
    async shutdown() {
      o.monitor.off('probe-run', onProbeRun);
      exposition?.stop();
      // A last OTLP push so the final interval is not lost.
      await otlp?.provider
        .shutdown({ timeoutMillis: 5000 })
        .catch((e: unknown) => o.log.warn({ err: (e as Error).message }, 'metrics shutdown failed'));
    },
  };
}
