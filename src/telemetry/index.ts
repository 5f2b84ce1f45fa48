import type { Config } from '../config/schema.js';
import type { McpTransportObserver } from '../shared/mcp-observer.js';
import type { HealthMonitor } from '../monitor/health-monitor.js';
import type { HistoryStats } from './catalogue.js';
import type { ExpositionPage } from './exposition.js';
import type { Logger } from '../shared/logger.js';
import { OTLP_PROTOCOLS, telemetrySettings, type TelemetrySettings } from './settings.js';

export interface TelemetryOptions {
  monitor: HealthMonitor;
  config: Config;
  log: Logger;
  version: string;
  /** An HTTP server will serve /metrics (--http or --metrics-port). */
  prometheus: boolean;
  /** The history store's figures (StoreStats), read at each collection. */
  historyStats?: () => HistoryStats | undefined;
  env?: Record<string, string | undefined>;
}

export interface Telemetry {
  readonly settings: TelemetrySettings;
  /** Settles once the SDK is loaded and the instrumentations are hooked (at once when nothing is wanted). */
  readonly ready: Promise<void>;
  /**
   * A scrape of /metrics, answered with the current page; `gzip`: the scraper accepts it (a page rendered ahead is
   * then compressed ahead). Undefined when no HTTP server serves it.
   */
  readonly metricsPage: ((gzip: boolean) => Promise<ExpositionPage> | ExpositionPage) | undefined;
  /** Records one served HTTP request (http.server.request.duration); a no-op until the SDK is loaded. */
  readonly recordHttp: ((seconds: number, attributes: Record<string, string | number>) => void) | undefined;
  /** Handed to createMcpServer; undefined when nothing would read what it records. */
  readonly mcpObserver: McpTransportObserver | undefined;
  /** Flushes pending spans and a last OTLP metrics push. */
  shutdown(): Promise<void>;
}

/**
 * Starts what the environment and the served endpoints ask for and nothing more: with no HTTP server and no
 * OTLP endpoint no part of OpenTelemetry is loaded (stdio cold start). The SDK loads in the background while
 * the transports come up, so `initialize` is not kept waiting for it; MCP messages that arrive before it is
 * loaded are recorded once it is, with their real times but without span context. The monitor must wait for
 * `ready`, so the pg/ioredis/http instrumentations are hooked before the probe drivers load.
 */
export function startTelemetry(o: TelemetryOptions): Telemetry {
  const settings = telemetrySettings(o.env ?? process.env);
  const log = o.log.child({ component: 'telemetry' });
  if (settings.invalidProtocols.length) {
    log.warn(
      { protocols: settings.invalidProtocols, expected: OTLP_PROTOCOLS },
      'unknown OTEL_EXPORTER_OTLP_PROTOCOL; exporting over http/protobuf',
    );
  }
  const wantMetrics = o.prometheus || settings.otlpMetrics;
  if (!wantMetrics && !settings.traces)
    return {
      settings,
      ready: Promise.resolve(),
      metricsPage: undefined,
      recordHttp: undefined,
      mcpObserver: undefined,
      shutdown: async () => {},
    };

  let observer: McpTransportObserver | undefined;
  let stop: () => Promise<void> = async () => {};
  let page: ((gzip: boolean) => Promise<ExpositionPage> | ExpositionPage) | undefined;
  let recordHttp: ((seconds: number, attributes: Record<string, string | number>) => void) | undefined;
  const ready = (async () => {
    const [{ buildResource }, metricsMod, tracingMod, { createMcpObserver }] = await Promise.all([
      import('./resource.js'),
      wantMetrics ? import('./metrics.js') : undefined,
      settings.traces ? import('./tracing.js') : undefined,
      import('./mcp.js'),
    ]);
    const resource = buildResource(o.version);
    const kinds = new Set(o.config.checks.map((c) => c.kind));
    const [tracing, metrics] = await Promise.all([
      tracingMod?.startTracing({ resource, log, version: o.version, kinds, protocol: settings.tracesProtocol }),
      metricsMod?.createMetrics({
        monitor: o.monitor,
        resource,
        settings,
        prometheus: o.prometheus,
        log,
        version: o.version,
        ...(o.historyStats ? { historyStats: o.historyStats } : {}),
      }),
    ]);
    // Metrics subscribe to the monitor's probe runs themselves; tracing wraps each round in a span.
    const uninstrument = tracing ? o.monitor.instrument({ scope: tracing.probeScope }) : undefined;
    const exposition = metrics?.exposition;
    if (exposition) page = (gzip) => exposition.get(gzip);
    if (metrics) recordHttp = (seconds, attributes) => metrics.recordHttp(seconds, attributes);
    observer = createMcpObserver(metrics, tracing?.tracer);
    stop = async () => {
      uninstrument?.();
      await Promise.all([tracing?.shutdown(), metrics?.shutdown()]);
    };
    log.info(
      {
        traces: settings.traces && settings.tracesProtocol,
        otlpMetrics: settings.otlpMetrics && settings.metricsProtocol,
        prometheus: o.prometheus,
      },
      'telemetry started',
    );
  })();

  return {
    settings,
    ready,
    metricsPage: o.prometheus ? (gzip) => page?.(gzip) ?? ready.then(() => page!(gzip)) : undefined,
    recordHttp: o.prometheus ? (seconds, attributes) => recordHttp?.(seconds, attributes) : undefined,
    mcpObserver: {
      message(info) {
        if (observer) return observer.message(info);
        // Arrived while the SDK loads: reported with its real times once it is there. Only its span context is
        // lost (nothing it triggers nests under it), which is the price of not delaying `initialize`.
        const startedAt = performance.now();
        return {
          run: (fn) => fn(),
          end(outcome) {
            const endedAt = performance.now();
            void ready.then(
              () => observer?.message(info, startedAt).end(outcome, endedAt),
              () => undefined,
            );
          },
        };
      },
      // Before the SDK is there, session starts wait for it too, so every start still meets its end.
      sessionStarted: (info) =>
        observer
          ? observer.sessionStarted?.(info)
          : void ready.then(
              () => observer?.sessionStarted?.(info),
              () => undefined,
            ),
      sessionEnded: (info) =>
        observer
          ? observer.sessionEnded?.(info)
          : void ready.then(
              () => observer?.sessionEnded?.(info),
              () => undefined,
            ),
    },
    async shutdown() {
      await ready.catch(() => undefined);
      await stop();
    },
  };
}
