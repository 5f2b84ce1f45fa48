import type { Attributes as OtelAttributes, Counter, Histogram, Meter, Observable } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type IMetricReader, type MetricProducer } from '@opentelemetry/sdk-metrics';
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

const histogram = (meter: Meter, s: InstrumentSpec): Histogram =>
  meter.createHistogram(s.name, {
    description: s.description,
    unit: s.unit,
    ...(s.buckets ? { advice: { explicitBucketBoundaries: s.buckets } } : {}),
  });

/** A reader that only answers collect(): the observed instruments' provider, read by the OTLP reader. */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/**
 * The observable instruments over the monitor's snapshot, on a provider of their own that only the OTLP reader
 * reads (as one of its producers): /metrics renders the same observations straight to text (ObservedFamilies),
 * so a scrape never runs their callbacks through the SDK.
 */
function observedProvider(o: MetricsOptions, fill: (emit: Emit) => void): { provider: MeterProvider } & MetricProducer {
  const reader = new PullReader();
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
  return { provider, collect: (options) => reader.collect(options) };
}

/**
 * The MeterProvider of the recorded instruments (probe runs, MCP and HTTP requests), read by the Prometheus
 * reader when /metrics is served and by a periodic OTLP reader when an endpoint is configured; that reader also
 * collects the observed instruments' provider.
 */
export async function createMetrics(o: MetricsOptions): Promise<Metrics> {
  const fill = (emit: Emit) => {
    observeSnapshot(o.monitor.snapshot, emit);
    const history = o.historyStats?.();
    if (history) observeHistory(history, emit);
    observeRefusals(refusalCounts(), emit);
  };
  const readers: IMetricReader[] = [];
  let prometheus: PrometheusExporter | undefined;
  if (o.prometheus) {
    // Only the reader and its serializer: the page is served by our own HTTP server, never a second one.
    prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
    readers.push(prometheus);
  }
  let observed: ReturnType<typeof observedProvider> | undefined;
  if (o.settings.otlpMetrics) {
    const [{ metricExporter }, { PeriodicExportingMetricReader }] = await Promise.all([
      import('./otlp.js'),
      import('@opentelemetry/sdk-metrics'),
    ]);
    observed = observedProvider(o, fill);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: await metricExporter(o.settings.metricsProtocol),
        exportIntervalMillis: o.settings.metricExportIntervalMs,
        exportTimeoutMillis: Math.min(o.settings.metricExportTimeoutMs, o.settings.metricExportIntervalMs),
        metricProducers: [observed],
      }),
    );
  }
  const provider = new MeterProvider({ resource: o.resource, readers });
  const meter = provider.getMeter('mcp-vitals', o.version);

  const checkDuration = histogram(meter, RECORDED.checkDuration);
  const checkRuns: Counter = meter.createCounter(RECORDED.checkRuns.name, {
    description: RECORDED.checkRuns.description,
    unit: RECORDED.checkRuns.unit,
  });
  const operation = histogram(meter, RECORDED.mcpOperation);
  const session = histogram(meter, RECORDED.mcpSession);
  const httpServer = histogram(meter, RECORDED.httpServer);
  const sessions = meter.createUpDownCounter(RECORDED.mcpSessions.name, {
    description: RECORDED.mcpSessions.description,
    unit: RECORDED.mcpSessions.unit,
  });

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
  // The observed families come first on the page, as they did when one provider held every instrument.
  const families = prometheus && new ObservedFamilies(OBSERVED);
  const exposition = families
    ? new Exposition(prometheus!, (rm) => serializePrometheus(rm, families.render(fill)), version)
    : undefined;

  // Probe runs are what the monitor publishes; the subscription ends with the metrics.
  const onProbeRun = (info: ProbeRunInfo) => {
    const attributes = { check: info.check, kind: info.kind };
    checkDuration.record(info.durationSeconds, attributes);
    checkRuns.add(1, { ...attributes, outcome: info.outcome });
    recorded++;
  };
  o.monitor.on('probe-run', onProbeRun);

  return {
    exposition,
    recordOperation(seconds, attributes) {
      operation.record(seconds, attributes);
      recorded++;
    },
    recordSession(seconds, attributes) {
      session.record(seconds, attributes);
      recorded++;
    },
    recordHttp(seconds, attributes) {
      httpServer.record(seconds, attributes);
      // A scrape's own request does not make the page stale: otherwise every scrape more than maxAge after the
      // last would render afresh even when nothing else changed. It shows on the next rendering.
      if (attributes['http.route'] !== '/metrics') recorded++;
    },
    sessionsOpen(delta, attributes) {
      sessions.add(delta, attributes);
      recorded++;
    },
    async shutdown() {
      o.monitor.off('probe-run', onProbeRun);
      // A last OTLP push so the final interval is not lost; the Prometheus reader has nothing to flush.
      // The observed provider goes after it: that push collects it too.
      for (const p of [provider, observed?.provider])
        await p
          ?.shutdown({ timeoutMillis: 5000 })
          .catch((e: unknown) => o.log.warn({ err: (e as Error).message }, 'metrics shutdown failed'));
    },
  };
}
