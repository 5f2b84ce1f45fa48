/** The OTLP transports the specification names; `http/protobuf` is its default. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/**
 * What the standard OTEL_* variables ask of us, decided once at start-up without loading any of the SDK, so a
 * daemon with nothing configured pays nothing for telemetry it does not use.
 */
export interface TelemetrySettings {
  /** OTEL_SDK_DISABLED=true: no OTLP export and no tracing (the /metrics page still works: it is ours). */
  disabled: boolean;
  /** Spans are recorded and pushed over OTLP. */
  traces: boolean;
  /** Metrics are pushed over OTLP besides being served on /metrics. */
  otlpMetrics: boolean;
  /** OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
  tracesProtocol: OtlpProtocol;
  metricsProtocol: OtlpProtocol;
  /** OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT, in ms. */
  metricExportIntervalMs: number;
  metricExportTimeoutMs: number;
  /** Protocol values that name no OTLP transport (e.g. `http`); the default is used instead, with a warning. */
  invalidProtocols: string[];
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

function protocol(value: string | undefined, invalid: string[]): OtlpProtocol {
  if (!set(value)) return 'http/protobuf';
  const p = value.trim().toLowerCase();
  if ((OTLP_PROTOCOLS as readonly string[]).includes(p)) return p as OtlpProtocol;
  invalid.push(value.trim());
  return 'http/protobuf';
}

export function telemetrySettings(env: Env = process.env): TelemetrySettings {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const anyEndpoint = set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const traces =
    !disabled &&
    (anyEndpoint || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) &&
    exporterWanted(env.OTEL_TRACES_EXPORTER);
  const otlpMetrics =
    !disabled &&
    (anyEndpoint || set(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)) &&
    exporterWanted(env.OTEL_METRICS_EXPORTER);
  const invalid: string[] = [];
  const tracesProtocol = protocol(
    set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)
      ? env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
      : env.OTEL_EXPORTER_OTLP_PROTOCOL,
    traces ? invalid : [],
  );
  const metricsProtocol = protocol(
    set(env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL)
      ? env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL
      : env.OTEL_EXPORTER_OTLP_PROTOCOL,
    otlpMetrics ? invalid : [],
  );
  return {
    disabled,
    traces,
    otlpMetrics,
    tracesProtocol,
    metricsProtocol,
    metricExportIntervalMs: positiveInt(env.OTEL_METRIC_EXPORT_INTERVAL, 60_000),
    metricExportTimeoutMs: positiveInt(env.OTEL_METRIC_EXPORT_TIMEOUT, 30_000),
    invalidProtocols: [...new Set(invalid)],
  };
}
