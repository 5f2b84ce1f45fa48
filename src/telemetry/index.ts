import type { Config } from '../config/schema.js';
import type { McpTransportObserver } from '../mcp/middleware.js';
import type { HealthMonitor } from '../monitor/health-monitor.js';
import type { ExpositionPage } from './exposition.js';
import type { Logger } from './logger.js';
import { telemetrySettings, type TelemetrySettings } from './settings.js';

export interface TelemetryOptions {
  monitor: HealthMonitor;
  config: Config;
  log: Logger;
  version: string;
  /** An HTTP server will serve /metrics (--http or --metrics-port). */
  prometheus: boolean;
  env?: Record<string, string | undefined>;
}

export interface Telemetry {
  readonly settings: TelemetrySettings;
  /** The current /metrics page; undefined when no HTTP server serves it. */
  readonly metricsPage: (() => ExpositionPage | Promise<ExpositionPage>) | undefined;
  /** Handed to createMcpServer; undefined when nothing would read what it records. */
  readonly mcpObserver: McpTransportObserver | undefined;
  /** Flushes pending spans and a last OTLP metrics push. */
  shutdown(): Promise<void>;
}

const NOTHING: Omit<Telemetry, 'settings'> = { metricsPage: undefined, mcpObserver: undefined, shutdown: async () => {} };

/**
 * Starts what the environment and the served endpoints ask for and nothing more: with no HTTP server and no
 * OTLP endpoint, no part of OpenTelemetry is even loaded (stdio cold start). Must run before the monitor
 * starts, so the pg/ioredis/http instrumentations are hooked before the probe drivers load.
 */
export async function startTelemetry(o: TelemetryOptions): Promise<Telemetry> {
  const settings = telemetrySettings(o.env ?? process.env);
  const log = o.log.child({ component: 'telemetry' });
  if (settings.unsupportedProtocols.length) {
    log.warn({ protocols: settings.unsupportedProtocols }, 'only OTLP over HTTP with JSON (http/json) is supported; exporting that way');
  }
  const wantMetrics = o.prometheus || settings.otlpMetrics;
  if (!wantMetrics && !settings.traces) return { settings, ...NOTHING };

  const [{ buildResource }, metricsMod, tracingMod, { createMcpObserver }] = await Promise.all([
    import('./resource.js'),
    wantMetrics ? import('./metrics.js') : undefined,
    settings.traces ? import('./tracing.js') : undefined,
    import('./mcp.js'),
  ]);
  const resource = buildResource(o.version);
  const kinds = new Set(o.config.checks.map((c) => c.kind));
  const [tracing, metrics] = await Promise.all([
    tracingMod?.startTracing({ resource, log, version: o.version, kinds }),
    metricsMod?.createMetrics({ monitor: o.monitor, resource, settings, prometheus: o.prometheus, log, version: o.version }),
  ]);
  if (metrics) o.monitor.onProbeRun = (info) => metrics.recordProbeRun(info);
  if (tracing) o.monitor.probeScope = tracing.probeScope;
  const exposition = metrics?.exposition;
  log.info({ traces: settings.traces, otlpMetrics: settings.otlpMetrics, prometheus: o.prometheus }, 'telemetry started');
  return {
    settings,
    metricsPage: exposition ? () => exposition.get() : undefined,
    mcpObserver: createMcpObserver(metrics, tracing?.tracer),
    async shutdown() {
      o.monitor.onProbeRun = undefined;
      o.monitor.probeScope = undefined;
      await Promise.all([tracing?.shutdown(), metrics?.shutdown()]);
    },
  };
}
