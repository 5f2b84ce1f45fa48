import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Exposition, withPrometheusNames } from '../../../src/telemetry/exposition.js';
import { serializePrometheus } from '../../../src/telemetry/serializer.js';

function setup(maxAgeMs = 1000) {
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'test' }),
    readers: [reader],
  });
  const meter = provider.getMeter('t');
  let value = 1;
  let collections = 0;
  meter.createObservableGauge('system.memory.usage', { unit: 'By', description: 'mem' }).addCallback((r) => {
    collections++;
    r.observe(value, { 'system.memory.state': 'used' });
  });
  meter.createCounter('vitals.check.runs', { unit: '{run}', description: 'runs' }).add(3, { outcome: 'success' });
  meter
    .createHistogram('vitals.check.duration', {
      unit: 's',
      description: 'dur',
      advice: { explicitBucketBoundaries: [0.1, 1] },
    })
    .record(0.5);
  let version = 0;
  const text = async () => serializePrometheus(withPrometheusNames((await reader.collect()).resourceMetrics));
  const exposition = new Exposition(text, () => version, maxAgeMs);
  return { exposition, setValue: (v: number) => (value = v), bump: () => version++, collections: () => collections };
}

describe('Exposition', () => {
  it('renders Prometheus names with unit suffixes, _total once, and no UNIT lines', async () => {
    const { exposition } = setup();
    const text = (await exposition.get()).body.toString();
    expect(text).toContain('# TYPE system_memory_usage_bytes gauge');
    expect(text).toContain('system_memory_usage_bytes{system_memory_state="used"} 1');
    expect(text).toContain('vitals_check_runs_total{outcome="success"} 3');
    expect(text).toContain('vitals_check_duration_seconds_bucket{le="1"} 1');
    expect(text).toContain('target_info{service_name="test"');
    expect(text).not.toMatch(/^# UNIT/m);
    expect(text).not.toContain('otel_scope_name');
  });

  it('serves the cached page while the version is unchanged, and renders again when it changes', async () => {
    const { exposition, setValue, bump, collections } = setup(0);
    const first = await exposition.get();
    setValue(2);
    expect(exposition.get()).toBe(first);
    expect(collections()).toBe(1);
    bump();
    const second = await exposition.get();
    expect(second).not.toBe(first);
    expect(second.body.toString()).toContain('system_memory_usage_bytes{system_memory_state="used"} 2');
  });

  it('holds a page for maxAge even when the data changed', async () => {
    const { exposition, bump } = setup(60_000);
    const first = await exposition.get();
    bump();
    expect(exposition.get()).toBe(first);
  });

  it('shares one rendering between concurrent scrapes and gzips on demand', async () => {
    const { exposition, collections } = setup();
    const pages = await Promise.all([exposition.get(), exposition.get(), exposition.get()]);
    expect(new Set(pages).size).toBe(1);
    expect(collections()).toBe(1);
    expect(gunzipSync(pages[0]!.gzip()).equals(pages[0]!.body)).toBe(true);
  });
});
