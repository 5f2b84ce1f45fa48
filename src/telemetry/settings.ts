/**
 * What the standard OTEL_* variables ask of us, decided once at start-up without loading any of the SDK, so a
 * daemon with nothing configured pays nothing for telemetry it does not use.
 */
export interface TelemetrySettings {
  /** OTEL_SDK_DISABLED=true: no OTLP export and no tracing (the /metrics page still works: it is ours). */
  disabled: boolean;
  /** Spans are recorded and pushed over OTLP/HTTP. */
  traces: boolean;
  /** Metrics are pushed over OTLP/HTTP besides being served on /metrics. */
  otlpMetrics: boolean;
  /** OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT, in ms. */
  metricExportIntervalMs: number;
  metricExportTimeoutMs: number;
  /** Protocols asked for that we do not speak (grpc, http/protobuf); we send OTLP/HTTP JSON and say so. */
  unsupportedProtocols: string[];
}

type Env = Record<string, string | undefined>;

const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/** OTEL_*_EXPORTER lists exporters by name; unset means the spec default, `otlp`. */
function exporterWanted(list: string | undefined): boolean {
  if (!set(list)) return true;
  const names = list.split(',').map((s) => s.trim().toLowerCase());
  return names.includes('otlp');
}

function positiveInt(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return set(v) && Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

export function telemetrySettings(env: Env = process.env): TelemetrySettings {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const anyEndpoint = set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const traces = !disabled && (anyEndpoint || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) && exporterWanted(env.OTEL_TRACES_EXPORTER);
  const otlpMetrics = !disabled && (anyEndpoint || set(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)) && exporterWanted(env.OTEL_METRICS_EXPORTER);
  const unsupportedProtocols = [
    ...(traces ? [env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL] : []),
    ...(otlpMetrics ? [env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL] : []),
  ].filter((p): p is string => set(p) && p.trim() !== 'http/json');
  return {
    disabled,
    traces,
    otlpMetrics,
    metricExportIntervalMs: positiveInt(env.OTEL_METRIC_EXPORT_INTERVAL, 60_000),
    metricExportTimeoutMs: positiveInt(env.OTEL_METRIC_EXPORT_TIMEOUT, 30_000),
    unsupportedProtocols: [...new Set(unsupportedProtocols)],
  };
}
