import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { describeMessage, observeTransport } from '../../../src/mcp/middleware.js';
import type { McpMessageInfo, McpMessageOutcome, McpTransportObserver } from '../../../src/shared/mcp-observer.js';
import { errorType, operationAttributes, spanAttributes, spanName } from '../../../src/telemetry/mcp.js';

const tools = new Set(['health_check', 'get_metrics']);

describe('describeMessage', () => {
  it('names the tool and keeps the W3C keys of _meta', () => {
    const info = describeMessage(
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'health_check', _meta: { traceparent: '00-a-b-01', progressToken: 3, tracestate: 'x=1' } },
      },
      'pipe',
      tools,
      {},
    );
    expect(info).toEqual({
      method: 'tools/call',
      id: '7',
      toolName: 'health_check',
      transport: 'pipe',
      meta: { traceparent: '00-a-b-01', tracestate: 'x=1' },
    });
    expect(spanName(info)).toBe('tools/call health_check');
  });

  it('bounds what a client can mint: unknown methods and tools become _OTHER', () => {
    expect(describeMessage({ jsonrpc: '2.0', id: 1, method: 'x/y-1234', params: {} }, 'tcp', tools, {}).method).toBe(
      '_OTHER',
    );
    expect(
      describeMessage({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'rm -rf /' } }, 'tcp', tools, {})
        .toolName,
    ).toBe('_OTHER');
  });

  it('keeps resource URIs and session ids for spans only', () => {
    const info = describeMessage(
      { jsonrpc: '2.0', id: 'a', method: 'resources/read', params: { uri: 'vitals://checks/db?x=1' } },
      'tcp',
      tools,
      { id: 's-1', protocolVersion: '2025-06-18' },
    );
    expect(spanAttributes(info)).toMatchObject({
      'mcp.resource.uri': 'vitals://checks/db?x=1',
      'mcp.session.id': 's-1',
      'jsonrpc.request.id': 'a',
      'network.protocol.name': 'http',
    });
    const labels = operationAttributes(info, {});
    expect(labels).toEqual({
      'mcp.method.name': 'resources/read',
      'network.transport': 'tcp',
      'mcp.protocol.version': '2025-06-18',
      'network.protocol.name': 'http',
    });
  });
});

describe('error.type', () => {
  it('is the JSON-RPC code, or tool_error for an isError result, or absent', () => {
    expect(errorType({ errorCode: -32602, errorMessage: 'bad' })).toBe('-32602');
    expect(errorType({ toolError: true })).toBe('tool_error');
    expect(errorType({})).toBeUndefined();
    const info: McpMessageInfo = { method: 'tools/call', toolName: 'get_metrics', transport: 'pipe' };
    expect(operationAttributes(info, { toolError: true })).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'get_metrics',
      'network.transport': 'pipe',
      'error.type': 'tool_error',
    });
  });
});

/** A transport the test drives by hand: `deliver` is a client message arriving, `sent` what the server wrote. */
function fakeTransport() {
  const sent: JSONRPCMessage[] = [];
  let closes = 0;
  const t: Transport & { deliver(m: object): void; sent: JSONRPCMessage[]; closes: () => number } = {
    async start() {},
    async send(m) {
      sent.push(m);
    },
    async close() {
      closes++;
      t.onclose?.();
    },
    deliver(m: object) {
      t.onmessage?.(m as JSONRPCMessage);
    },
    sent,
    closes: () => closes,
  };
  return t;
}

function recorder() {
  const events: string[] = [];
  const ended: { info: McpMessageInfo; outcome: McpMessageOutcome }[] = [];
  const sessions: number[] = [];
  const started: string[] = [];
  const observer: McpTransportObserver = {
    message(info) {
      events.push(`start ${info.method}`);
      return {
        run: (fn) => {
          events.push(`run ${info.method}`);
          return fn();
        },
        end: (outcome) => {
          events.push(`end ${info.method}`);
          ended.push({ info, outcome });
        },
      };
    },
    sessionStarted: (s) => started.push(s.transport),
    sessionEnded: (s) => sessions.push(s.durationSeconds),
  };
  return { observer, events, ended, sessions, started };
}

describe('observeTransport', () => {
  it('runs the handler inside the scope and ends it when the matching response is sent', async () => {
    const t = fakeTransport();
    const r = recorder();
    observeTransport(t, r.observer, tools);
    const handled: string[] = [];
    // As the SDK does in connect(): chain to whatever handler was there before.
    const previous = t.onmessage;
    t.onmessage = (m) => {
      previous?.(m);
      handled.push((m as { method: string }).method);
    };
    t.deliver({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18' } });
    expect(r.events).toEqual(['start initialize', 'run initialize']);
    await t.send({
      jsonrpc: '2.0',
      id: 1,
      result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 's', version: '1' } },
    });
    expect(r.ended[0]?.outcome).toEqual({ toolError: false, protocolVersion: '2025-06-18' });
    t.deliver({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'health_check' } });
    await t.send({ jsonrpc: '2.0', id: 2, result: { content: [], isError: true } });
    t.deliver({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    await t.send({ jsonrpc: '2.0', id: 3, error: { code: -32603, message: 'boom' } });
    expect(handled).toEqual(['initialize', 'tools/call', 'tools/list']);
    expect(r.ended.map((e) => [e.info.method, e.info.protocolVersion, e.outcome])).toEqual([
      ['initialize', undefined, { toolError: false, protocolVersion: '2025-06-18' }],
      ['tools/call', '2025-06-18', { toolError: true }],
      ['tools/list', '2025-06-18', { errorCode: -32603, errorMessage: 'boom' }],
    ]);
    expect(t.sent).toHaveLength(3);
  });

  it('observes a message once when a handler set before connect() is chained to by the SDK', () => {
    const t = fakeTransport();
    const r = recorder();
    observeTransport(t, r.observer, tools);
    const seen: string[] = [];
    t.onmessage = () => seen.push('app');
    const prev = t.onmessage;
    t.onmessage = (m) => {
      prev?.(m);
      seen.push('sdk');
    };
    t.deliver({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(seen).toEqual(['app', 'sdk']);
    expect(r.events.filter((e) => e.startsWith('start'))).toEqual(['start ping']);
  });

  it('keeps feeding a transport whose handlers are accessors over an inner transport (Streamable HTTP)', () => {
    const inner: { onmessage?: (m: JSONRPCMessage) => void; onclose?: () => void } = {};
    class Delegating {
      async start() {}
      async send() {}
      async close() {
        inner.onclose?.();
      }
      get onmessage() {
        return inner.onmessage;
      }
      set onmessage(fn) {
        inner.onmessage = fn;
      }
      get onclose() {
        return inner.onclose;
      }
      set onclose(fn) {
        inner.onclose = fn;
      }
      handleRequest() {}
    }
    const t = new Delegating() as unknown as Transport;
    const r = recorder();
    observeTransport(t, r.observer, tools);
    const handled: string[] = [];
    t.onmessage = (m) => handled.push((m as { method: string }).method);
    // The inner transport is what receives the HTTP body and calls its handler.
    inner.onmessage!({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(handled).toEqual(['notifications/initialized']);
    expect(r.ended[0]?.info).toMatchObject({ method: 'notifications/initialized', transport: 'tcp' });
  });

  it('ends notifications at once and leaves responses to server requests alone', () => {
    const t = fakeTransport();
    const r = recorder();
    observeTransport(t, r.observer, tools);
    t.onmessage = () => {};
    t.deliver({ jsonrpc: '2.0', method: 'notifications/initialized' });
    t.deliver({ jsonrpc: '2.0', id: 9, result: {} });
    expect(r.events).toEqual([
      'start notifications/initialized',
      'run notifications/initialized',
      'end notifications/initialized',
    ]);
  });

  it('chains onclose handlers without looping, ends open requests and records the session once', async () => {
    const t = fakeTransport();
    const r = recorder();
    observeTransport(t, r.observer, tools);
    const calls: string[] = [];
    t.onclose = () => calls.push('app');
    // The SDK's connect() wraps the handler it finds.
    const prev = t.onclose;
    t.onclose = () => {
      prev?.();
      calls.push('sdk');
    };
    t.onmessage = () => {};
    t.deliver({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    t.deliver({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_metrics' } });
    await t.close();
    expect(calls).toEqual(['app', 'sdk']);
    expect(r.ended.map((e) => e.outcome.errorCode)).toEqual([-32000, -32000]);
    expect(r.started).toEqual(['pipe']);
    expect(r.sessions).toHaveLength(1);
  });

  it('records no session for a transport that never saw initialize (stateless HTTP)', async () => {
    const t = fakeTransport();
    const r = recorder();
    observeTransport(t, r.observer, tools, 'tcp');
    t.onmessage = () => {};
    t.deliver({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await t.send({ jsonrpc: '2.0', id: 1, result: { tools: [] } });
    await t.close();
    expect(r.sessions).toHaveLength(0);
    expect(r.started).toHaveLength(0);
    expect(r.ended[0]?.info.transport).toBe('tcp');
  });
});

describe('spans of failed tool calls', () => {
  it(
    "label the caller's mistake without marking the server " + "span as failed; a tool's own failure is an error",
    async () => {
      const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
        '@opentelemetry/sdk-trace-base'
      );
      const { SpanStatusCode } = await import('@opentelemetry/api');
      const { createMcpObserver } = await import('../../../src/telemetry/mcp.js');
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const observer = createMcpObserver(undefined, provider.getTracer('t'))!;
      const info: McpMessageInfo = { method: 'tools/call', toolName: 'query_history', transport: 'pipe' };
      observer.message(info).end({ toolError: true, toolErrorType: 'client.unknown_name' });
      observer.message(info).end({ toolError: true, toolErrorType: 'store_unavailable' });
      const [client, server] = exporter.getFinishedSpans();
      expect(client!.attributes['error.type']).toBe('client.unknown_name');
      expect(client!.status.code).toBe(SpanStatusCode.UNSET);
      expect(server!.attributes['error.type']).toBe('store_unavailable');
      expect(server!.status.code).toBe(SpanStatusCode.ERROR);
      await provider.shutdown();
    },
  );
});
