import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Emit, InstrumentSpec } from '../../../src/telemetry/catalogue.js';
import { withPrometheusNames } from '../../../src/telemetry/exposition.js';
import { ObservedFamilies } from '../../../src/telemetry/observed-families.js';
import { RecordedFamily } from '../../../src/telemetry/recorded-families.js';
import { serializePrometheus } from '../../../src/telemetry/serializer.js';

type Observation = [spec: number, attributes: Record<string, string> | undefined, value: number];

const SPECS: InstrumentSpec[] = [
  { name: 'system.memory.usage', kind: 'updowncounter', unit: 'By', description: 'Memory in use.' },
  { name: 'vitals.check.status', kind: 'gauge', unit: '', description: 'Status: 0 pass.' },
  { name: 'system.cpu.time', kind: 'counter', unit: 's', description: 'CPU\ntime \\ by mode.' },
  { name: 'system.cpu.utilization', kind: 'gauge', unit: '1', description: '' },
  { name: 'vitals.limit.refusals', kind: 'counter', unit: '{refusal}', description: 'Refusals.' },
  { name: 'x.y_total', kind: 'counter', unit: '', description: 'Named with _total.' },
];

/** The page as the SDK's cumulative reader and our serializer write it, pass after pass. */
function sdkPages(specs: InstrumentSpec[]) {
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 't' }), readers: [reader] });
  const meter = provider.getMeter('t');
  const instruments = specs.map((s) => {
    const options = { description: s.description, unit: s.unit };
    if (s.kind === 'counter') return meter.createObservableCounter(s.name, options);
    if (s.kind === 'updowncounter') return meter.createObservableUpDownCounter(s.name, options);
    return meter.createObservableGauge(s.name, options);
  });
  let pass: Observation[] = [];
  meter.addBatchObservableCallback((result) => {
    for (const [i, attributes, value] of pass)
      if (Number.isFinite(value)) result.observe(instruments[i]!, value, attributes);
  }, instruments);
  return async (observations: Observation[]) => {
    pass = observations;
    return serializePrometheus(withPrometheusNames((await reader.collect()).resourceMetrics));
  };
}

function ourPages(specs: InstrumentSpec[]) {
  const families = new ObservedFamilies(specs);
  const resource = resourceFromAttributes({ 'service.name': 't' });
  return (observations: Observation[]) => {
    const fill = (emit: Emit) => {
      for (const [i, attributes, value] of observations) emit(specs[i]!.name, value, attributes);
    };
    return serializePrometheus({ resource, scopeMetrics: [] }, families.render(fill));
  };
}

// Attributes as emit sites build them: the same keys in the same order, values varying.
const attributes = fc.option(
  fc
    .record(
      { check: fc.constantFrom('db', 'web', 'a"b', 'new\nline'), 'system.cpu.state': fc.constantFrom('user', 'idle') },
      { requiredKeys: [] },
    )
    .map((a: Record<string, string>) =>
      Object.fromEntries(['check', 'system.cpu.state'].filter((k) => k in a).map((k) => [k, a[k]!])),
    ),
  { nil: undefined },
);
const value = fc.oneof(
  fc.double({ noNaN: false }),
  fc.double({ min: -10, max: 1000, noNaN: true }),
  fc.integer({ min: -5, max: 100 }),
  fc.constantFrom(0.1, 0.2, 0.3, 1e21, -0),
);
const pass = fc.array(fc.tuple(fc.integer({ min: 0, max: SPECS.length - 1 }), attributes, value), { maxLength: 12 });

describe('ObservedFamilies', () => {
  it('writes what the SDK collection and the serializer write, pass after pass', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pass, { minLength: 1, maxLength: 6 }), async (passes) => {
        const sdk = sdkPages(SPECS);
        const ours = ourPages(SPECS);
        for (const p of passes) expect(ours(p)).toBe(await sdk(p));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps first-seen order, a series not observed again, and a counter that went down', async () => {
    const sdk = sdkPages(SPECS);
    const ours = ourPages(SPECS);
    const passes: Observation[][] = [
      [[1, { check: 'web' }, 2]],
      [
        [1, { check: 'db' }, 0],
        [1, { check: 'web' }, 1],
        [2, { 'system.cpu.state': 'user' }, 1.23],
      ],
      [[2, { 'system.cpu.state': 'user' }, 1.57]],
      [[2, { 'system.cpu.state': 'user' }, 0.5]],
      [
        [0, undefined, 10],
        [0, undefined, 7.3],
      ],
    ];
    for (const p of passes) expect(ours(p)).toBe(await sdk(p));
    const last = ours([]);
    expect(last.indexOf('vitals_check_status{check="web"} 1')).toBeLessThan(last.indexOf('check="db"'));
    expect(last).toContain('system_cpu_time_seconds_total{system_cpu_state="user"} 0.5');
  });
});

const RECORDED_SPECS: InstrumentSpec[] = [
  { name: 'vitals.check.duration', kind: 'histogram', unit: 's', description: 'Durations.', buckets: [0.001, 0.5, 1] },
  { name: 'vitals.check.runs', kind: 'counter', unit: '{run}', description: 'Runs.' },
  { name: 'vitals.mcp.sessions', kind: 'updowncounter', unit: '{session}', description: 'Open.' },
];

/** Recordings, then a collection, as the SDK's Prometheus reader makes them. */
function sdkRecordedPages(specs: InstrumentSpec[]) {
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 't' }), readers: [reader] });
  const meter = provider.getMeter('t');
  const record = specs.map((s) => {
    const options = { description: s.description, unit: s.unit };
    if (s.kind === 'counter') {
      const c = meter.createCounter(s.name, options);
      return (v: number, a: Record<string, string>) => c.add(v, a);
    }
    if (s.kind === 'updowncounter') {
      const c = meter.createUpDownCounter(s.name, options);
      return (v: number, a: Record<string, string>) => c.add(v, a);
    }
    const h = meter.createHistogram(s.name, { ...options, advice: { explicitBucketBoundaries: s.buckets! } });
    return (v: number, a: Record<string, string>) => h.record(v, a);
  });
  return async (recordings: [number, Record<string, string>, number][]) => {
    for (const [i, a, v] of recordings) record[i]!(v, a);
    return serializePrometheus(withPrometheusNames((await reader.collect()).resourceMetrics));
  };
}

function ourRecordedPages(specs: InstrumentSpec[]) {
  const families = specs.map((s) => new RecordedFamily(s));
  const resource = resourceFromAttributes({ 'service.name': 't' });
  // Every other recording passes the same frozen object for the same attributes (as a check's probe runs do),
  // which a family maps to its series without hashing: the page must not tell the two apart.
  const frozen = new Map<string, Readonly<Record<string, string>>>();
  let n = 0;
  return (recordings: [number, Record<string, string>, number][]) => {
    for (const [i, a, v] of recordings) {
      const key = JSON.stringify(a);
      if (!frozen.has(key)) frozen.set(key, Object.freeze({ ...a }));
      families[i]!.record(v, n++ % 2 ? frozen.get(key)! : a);
    }
    return serializePrometheus({ resource, scopeMetrics: [] }, families.map((f) => f.render()).join(''));
  };
}

// Any key order: the SDK treats the same attributes in another order as the same series.
const anyOrder = fc
  .uniqueArray(fc.tuple(fc.constantFrom('check', 'kind', 'outcome'), fc.constantFrom('db', 'tcp', 'a"b')), {
    selector: (e) => e[0],
    maxLength: 3,
  })
  .map((entries) => Object.fromEntries(entries));
const recording = fc.tuple(fc.integer({ min: 0, max: RECORDED_SPECS.length - 1 }), anyOrder, value);

describe('RecordedFamily', () => {
  it('writes what the SDK collection and the serializer write, collection after collection', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(recording, { maxLength: 10 }), { minLength: 1, maxLength: 5 }),
        async (runs) => {
          const sdk = sdkRecordedPages(RECORDED_SPECS);
          const ours = ourRecordedPages(RECORDED_SPECS);
          for (const r of runs) expect(ours(r)).toBe(await sdk(r));
        },
      ),
      { numRuns: 150 },
    );
  });
});
