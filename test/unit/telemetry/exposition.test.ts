import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Exposition, withPrometheusNames } from '../../../src/telemetry/exposition.js';
import { serializePrometheus } from '../../../src/telemetry/serializer.js';

// The real zlib, with gzipSync counted: a page compressed ahead must not be compressed again in the scrape.
vi.mock('node:zlib', async (original) => {
  const zlib = await original<typeof import('node:zlib')>();
  return { ...zlib, gzipSync: vi.fn(zlib.gzipSync) };
});

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
  const exposition = new Exposition(text, () => version, { maxAgeMs });
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

  it('renders afresh at every version change when its text comes synchronously, as the daemon gives it', async () => {
    let version = 0;
    let renders = 0;
    const exposition = new Exposition(
      () => `page ${++renders} of version ${version}\n`,
      () => version,
      { maxAgeMs: 0 },
    );
    for (let v = 0; v < 3; v++) {
      version = v;
      expect((await exposition.get()).body.toString()).toBe(`page ${v + 1} of version ${v}\n`);
    }
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

describe('Exposition rendering ahead of a predicted scrape', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  /** A page of `bytes` whose text names the data version; counts renderings. */
  function pages(bytes: number) {
    let version = 0;
    let renders = 0;
    const exposition = new Exposition(
      () => {
        renders++;
        return `v${version}\n${'#'.repeat(bytes)}`;
      },
      () => version,
      { aheadMinBytes: 1000 },
    );
    return { exposition, change: () => version++, renders: () => renders };
  }

  async function scrape(exposition: Exposition, gzip = false) {
    return await exposition.get(gzip);
  }

  /** Three scrapes 15 s apart, each after a change: two equal intervals, so the next scrape is predicted. */
  async function steadyScrapes(exposition: Exposition, change: () => void, gzip = false) {
    for (let i = 0; i < 3; i++) {
      if (i) await vi.advanceTimersByTimeAsync(15_000);
      change();
      await scrape(exposition, gzip);
    }
  }

  it('renders a large page before a steady scrape is due, so the scrape is answered without a rendering', async () => {
    const { exposition, change, renders } = pages(5000);
    await steadyScrapes(exposition, change);
    expect(renders()).toBe(3);
    change();
    await vi.advanceTimersByTimeAsync(14_499);
    expect(renders()).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(renders()).toBe(4);
    await vi.advanceTimersByTimeAsync(500);
    const page = exposition.get();
    expect(page).not.toBeInstanceOf(Promise);
    expect((page as { body: Buffer }).body.toString()).toMatch(/^v4\n/);
    expect(renders()).toBe(4);
    exposition.stop();
  });

  it('compresses the page ahead when the scrapes ask for gzip', async () => {
    const { exposition, change } = pages(5000);
    await steadyScrapes(exposition, change, true);
    change();
    await vi.advanceTimersByTimeAsync(14_500);
    // The thread pool's callback is real I/O: wait for it outside the fake clock.
    vi.mocked(gzipSync).mockClear();
    // The compression runs on the thread pool, outside the fake clock: 5 KB takes well under a millisecond.
    await sleep(200);
    const page = exposition.get(true) as { gzip(): Buffer; body: Buffer };
    expect(page.body.toString()).toMatch(/^v4\n/);
    expect(gunzipSync(page.gzip()).equals(page.body)).toBe(true);
    expect(vi.mocked(gzipSync)).not.toHaveBeenCalled();
    exposition.stop();
  });

  it('does not render ahead when nothing changed, for a small page, or when scrapes come unsteadily', async () => {
    const steadyUnchanged = pages(5000);
    const small = pages(10);
    const unsteady = pages(5000);
    for (const [i, gap] of [0, 15_000, 15_000].entries()) {
      await vi.advanceTimersByTimeAsync(gap);
      small.change();
      unsteady.change();
      await scrape(steadyUnchanged.exposition);
      await scrape(small.exposition);
      if (i !== 1) await scrape(unsteady.exposition);
    }
    // Scrapes two apart: 30 s then 15 s is not a steady interval.
    small.change();
    unsteady.change();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(steadyUnchanged.renders()).toBe(1);
    expect(small.renders()).toBe(3);
    expect(unsteady.renders()).toBe(2);
  });

  it('stop() cancels a rendering ahead', async () => {
    const { exposition, change, renders } = pages(5000);
    await steadyScrapes(exposition, change);
    change();
    exposition.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(renders()).toBe(3);
  });
});
