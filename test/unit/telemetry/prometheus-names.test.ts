import { describe, expect, it } from 'vitest';
import { OBSERVED, RECORDED } from '../../../src/telemetry/catalogue.js';
import { prometheusName, unitSuffix } from '../../../src/telemetry/prometheus-names.js';

describe('OTel → Prometheus metric names', () => {
  it('turns UCUM units into base-unit suffixes', () => {
    expect(unitSuffix('By', 'gauge')).toBe('bytes');
    expect(unitSuffix('s', 'histogram')).toBe('seconds');
    expect(unitSuffix('By/s', 'gauge')).toBe('bytes_per_second');
    expect(unitSuffix('1/s', 'gauge')).toBe('per_second');
    expect(unitSuffix('ms', 'gauge')).toBe('milliseconds');
  });

  it('gives ratios _ratio only on gauges, and annotations nothing', () => {
    expect(unitSuffix('1', 'gauge')).toBe('ratio');
    expect(unitSuffix('1', 'counter')).toBe('');
    expect(unitSuffix('{packet}', 'counter')).toBe('');
    expect(unitSuffix('{thread}', 'gauge')).toBe('');
    expect(unitSuffix('', 'gauge')).toBe('');
  });

  it('maps semconv names as the compatibility spec does', () => {
    expect(prometheusName('system.memory.usage', 'By', 'gauge')).toBe('system_memory_usage_bytes');
    expect(prometheusName('system.cpu.utilization', '1', 'gauge')).toBe('system_cpu_utilization_ratio');
    expect(prometheusName('system.network.io', 'By', 'counter', true)).toBe('system_network_io_bytes_total');
    expect(prometheusName('system.network.io', 'By', 'counter')).toBe('system_network_io_bytes');
    expect(prometheusName('mcp.server.operation.duration', 's', 'histogram')).toBe(
      'mcp_server_operation_duration_seconds',
    );
    expect(prometheusName('system.cpu.load_average.1m', '{thread}', 'gauge')).toBe('system_cpu_load_average_1m');
  });

  it('does not repeat a unit the name already ends with, nor a _total', () => {
    expect(prometheusName('vitals.cert.expiry.timestamp_seconds', 's', 'gauge')).toBe(
      'vitals_cert_expiry_timestamp_seconds',
    );
    expect(prometheusName('requests_total', '{request}', 'counter', true)).toBe('requests_total');
  });

  it('never ends a non-histogram name in _count (reserved; promtool flags it)', () => {
    expect(prometheusName('system.cpu.logical.count', '{cpu}', 'gauge')).toBe('system_cpu_logical_cpus');
    expect(prometheusName('process.unix.file_descriptor.count', '{file_descriptor}', 'gauge')).toBe(
      'process_unix_file_descriptors',
    );
    for (const s of OBSERVED) {
      const kind = s.kind === 'counter' ? 'counter' : 'gauge';
      expect(prometheusName(s.name, s.unit, kind, true), s.name).not.toMatch(/_(count|sum|bucket)$/);
    }
  });

  it('gives the names the README and dashboards use', () => {
    const names = [
      ...OBSERVED.map((s) => prometheusName(s.name, s.unit, s.kind === 'counter' ? 'counter' : 'gauge', true)),
      ...Object.values(RECORDED).map((s) =>
        prometheusName(
          s.name,
          s.unit,
          s.kind === 'histogram' ? 'histogram' : s.kind === 'counter' ? 'counter' : 'gauge',
          true,
        ),
      ),
    ];
    expect(names).toEqual(
      expect.arrayContaining([
        'vitals_check_up',
        'vitals_check_status',
        'vitals_check_duration_seconds',
        'vitals_check_runs_total',
        'vitals_breaker_open',
        'vitals_cert_expiry_timestamp_seconds',
        'system_filesystem_usage_bytes',
        'system_filesystem_utilization_ratio',
        'system_memory_utilization_ratio',
        'mcp_server_session_duration_seconds',
        'vitals_mcp_sessions',
        'http_server_request_duration_seconds',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
  });
});
