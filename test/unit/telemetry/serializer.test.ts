import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withPrometheusNames } from '../../../src/telemetry/exposition.js';
import { serializePrometheus } from '../../../src/telemetry/serializer.js';

// The exporter's own serializer, configured as ours claims to reproduce: no prefix, no timestamps, no scope labels.
const stock = new PrometheusSerializer(undefined, false, undefined, false, true);

const labelValue = fc.oneof(
  fc.string(),
  fc.constantFrom('a"b', 'back\\slash', 'new\nline', 'x\\"\n', ''),
  fc.integer(),
  fc.boolean(),
);
const attrs = fc.dictionary(
  fc.constantFrom('check', 'kind', 'mcp.method.name', 'error.type', 'a-b', '9x', 'le_'),
  labelValue,
  { maxKeys: 4 },
);
const instrument = fc.record({
  kind: fc.constantFrom('gauge', 'counter', 'updown', 'histogram', 'observable'),
  name: fc.constantFrom(
    'vitals.check.status',
    'system.memory.usage',
    'vitals.check.runs',
    'mcp.server.operation.duration',
    'http.server.request.duration',
    'x.y_total',
    '0bad',
  ),
  unit: fc.constantFrom('', 's', 'By', '1', '{run}'),
  description: fc.constantFrom('', 'plain', 'with\nnewline and \\ backslash'),
  points: fc.array(fc.tuple(attrs, fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: 0, max: 1000 }))), {
    maxLength: 5,
  }),
  boundaries: fc.option(
    fc.uniqueArray(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 5 }).map((b) => b.sort((x, y) => x - y)),
    { nil: undefined },
  ),
});

describe('serializePrometheus', () => {
  it(
    'writes exactly what the exporter’s PrometheusSerializer ' + 'writes (property, over every instrument kind)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(instrument, { maxLength: 6 }),
          fc.dictionary(fc.constantFrom('service.name', 'host.name', 'x.y'), labelValue),
          async (instruments, resource) => {
            const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
            const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
            const meter = provider.getMeter('t');
            instruments.forEach((spec, i) => {
              const name = `${spec.name}${i}`;
              const options = { unit: spec.unit, description: spec.description };
              const finite = spec.points.map(([a, v]) => [a, Number.isFinite(v) ? v : 1] as const);
              if (spec.kind === 'gauge') {
                const g = meter.createGauge(name, options);
                for (const [a, v] of spec.points) g.record(v, a);
              } else if (spec.kind === 'counter') {
                const c = meter.createCounter(name, options);
                for (const [a, v] of finite) c.add(Math.abs(v), a);
              } else if (spec.kind === 'updown') {
                const c = meter.createUpDownCounter(name, options);
                for (const [a, v] of finite) c.add(v, a);
              } else if (spec.kind === 'histogram') {
                const h = meter.createHistogram(name, {
                  ...options,
                  ...(spec.boundaries ? { advice: { explicitBucketBoundaries: spec.boundaries } } : {}),
                });
                for (const [a, v] of finite) h.record(Math.abs(v), a);
              } else {
                meter.createObservableGauge(name, options).addCallback((r) => {
                  for (const [a, v] of spec.points) r.observe(v, a);
                });
              }
            });
            const { resourceMetrics } = await reader.collect();
            for (const rm of [resourceMetrics, withPrometheusNames(resourceMetrics)])
              expect(serializePrometheus(rm)).toBe(stock.serialize(rm));
            await provider.shutdown();
          },
        ),
        { numRuns: 200 },
      );
    },
  );
});
