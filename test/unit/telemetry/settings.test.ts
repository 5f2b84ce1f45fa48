import { describe, expect, it } from 'vitest';
import { telemetrySettings } from '../../../src/telemetry/settings.js';

describe('OTEL_* settings', () => {
  it('exports nothing when no endpoint is configured', () => {
    expect(telemetrySettings({})).toMatchObject({ traces: false, otlpMetrics: false, disabled: false });
  });

  it('turns traces and metrics on with the general endpoint', () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toMatchObject({
      traces: true,
      otlpMetrics: true,
    });
  });

  it('honours per-signal endpoints and exporter lists', () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toMatchObject({
      traces: true,
      otlpMetrics: false,
    });
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' })).toMatchObject({
      traces: false,
      otlpMetrics: true,
    });
    expect(
      telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toMatchObject({ traces: false, otlpMetrics: true });
    expect(
      telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_METRICS_EXPORTER: 'prometheus' }),
    ).toMatchObject({ traces: true, otlpMetrics: false });
    expect(
      telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_METRICS_EXPORTER: 'prometheus, otlp' }),
    ).toMatchObject({ otlpMetrics: true });
  });

  it('OTEL_SDK_DISABLED turns every export off', () => {
    expect(
      telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toMatchObject({ disabled: true, traces: false, otlpMetrics: false });
  });

  it('reads the metric export interval, ignoring nonsense', () => {
    expect(telemetrySettings({ OTEL_METRIC_EXPORT_INTERVAL: '15000' }).metricExportIntervalMs).toBe(15000);
    expect(telemetrySettings({ OTEL_METRIC_EXPORT_INTERVAL: 'soon' }).metricExportIntervalMs).toBe(60000);
  });

  it('picks the OTLP transport: http/protobuf by default, the general variable, then the per-signal ones', () => {
    const at = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(telemetrySettings(at)).toMatchObject({
      tracesProtocol: 'http/protobuf',
      metricsProtocol: 'http/protobuf',
      invalidProtocols: [],
    });
    expect(telemetrySettings({ ...at, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({
      tracesProtocol: 'grpc',
      metricsProtocol: 'grpc',
    });
    expect(telemetrySettings({ ...at, OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON ' })).toMatchObject({
      tracesProtocol: 'http/json',
      metricsProtocol: 'http/json',
    });
    expect(
      telemetrySettings({
        ...at,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      }),
    ).toMatchObject({ tracesProtocol: 'grpc', metricsProtocol: 'http/json' });
    expect(
      telemetrySettings({
        ...at,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      }),
    ).toMatchObject({ tracesProtocol: 'grpc', metricsProtocol: 'http/protobuf' });
    // An empty per-signal variable is unset, as the specification says.
    expect(
      telemetrySettings({ ...at, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '' })
        .tracesProtocol,
    ).toBe('grpc');
  });

  it('names a protocol that is no OTLP transport and falls back to http/protobuf', () => {
    const s = telemetrySettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'thrift',
    });
    expect(s).toMatchObject({ tracesProtocol: 'http/protobuf', metricsProtocol: 'http/protobuf' });
    expect(s.invalidProtocols).toEqual(['http', 'thrift']);
    // Only for signals that are exported at all.
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }).invalidProtocols).toEqual([]);
  });
});
