import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResource } from '../../../src/telemetry/resource.js';
import { createLogger } from '../../../src/shared/logger.js';
import { startTracing, type Tracing } from '../../../src/telemetry/tracing.js';
import { sleep, waitUntil } from '../../support/wait.js';
import { otlpReceiver } from './support.js';

/** A logger writing into an array, built as the daemon builds its own (default mixin). */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination: dest }), lines };
}

describe('log lines inside a span carry its trace and span ids', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let tracing: Tracing;
  const { log, lines } = capture();

  beforeAll(async () => {
    receiver = await otlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
    tracing = await startTracing({
      resource: buildResource('test'),
      log,
      version: 'test',
      kinds: new Set(),
      protocol: 'http/protobuf',
    });
  });

  afterAll(async () => {
    await tracing?.shutdown();
    await receiver?.close();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_BSP_SCHEDULE_DELAY;
  });

  it('adds trace_id and span_id inside a span and nothing outside one', () => {
    let ids: { traceId: string; spanId: string } | undefined;
    tracing.tracer.startActiveSpan('work', (span) => {
      ids = span.spanContext();
      log.info({ check: 'x' }, 'inside');
      span.end();
    });
    log.info('outside');
    const inside = lines.find((l) => l.msg === 'inside')!;
    const outside = lines.find((l) => l.msg === 'outside')!;
    expect(inside).toMatchObject({ trace_id: ids!.traceId, span_id: ids!.spanId, trace_flags: '01', check: 'x' });
    expect(outside.trace_id).toBeUndefined();
    expect(outside.span_id).toBeUndefined();
  });

  it('follows the context across awaits: a line logged during a probe run names the probe span', async () => {
    await tracing.probeScope('orders-db', 'postgres', async () => {
      await sleep(5);
      log.warn('probe says something');
      return { check: 'orders-db', kind: 'postgres', durationSeconds: 0.005, outcome: 'success' };
    });
    const line = lines.find((l) => l.msg === 'probe says something')!;
    const span = await waitUntil(() => receiver.spans.find((s) => s.name === 'check orders-db'), 'the probe span');
    expect(line.trace_id).toBe(span.traceId);
    expect(line.span_id).toBe(span.spanId);
  });
});
