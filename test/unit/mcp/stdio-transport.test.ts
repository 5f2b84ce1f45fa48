import { PassThrough } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BoundedStdioTransport, leadingId } from '../../../src/mcp/stdio-transport.js';

function harness(maxLineBytes = 1024, maxPending = 4) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out: any[] = [];
  let buf = '';
  stdout.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      out.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
  });
  const received: any[] = [];
  let ended = 0;
  const t = new BoundedStdioTransport({
    maxLineBytes,
    maxPending,
    log: pino({ level: 'silent' }),
    stdin,
    stdout,
    onEnd: () => ended++,
  });
  t.onmessage = (m) => received.push(m);
  return { t, stdin, out, received, ended: () => ended, tick: () => new Promise((r) => setImmediate(r)) };
}

describe('leadingId', () => {
  it('reads the id among the top-level keys before anything nested', () => {
    expect(leadingId('{"jsonrpc":"2.0","id":7,"method":"x","params":{"a"')).toBe(7);
    expect(leadingId('{"id":"abc","jsonrpc":"2.0"')).toBe('abc');
    expect(leadingId('{"jsonrpc":"2.0","method":"x","params":{"id":5}')).toBeNull();
    expect(leadingId('[{"id":1}')).toBeNull();
    expect(leadingId('not json')).toBeNull();
  });
});

describe('BoundedStdioTransport', () => {
  it('reassembles lines across chunks and splits several lines in one chunk', async () => {
    const h = harness();
    await h.t.start();
    h.stdin.write('{"jsonrpc":"2.0","id":1,"met');
    h.stdin.write('hod":"ping"}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\r\n\n');
    await h.tick();
    expect(h.received.map((m) => m.method)).toEqual(['ping', 'notifications/initialized']);
  });

  it('drops an oversized line as it streams in, answers -32600 with its id, and keeps reading', async () => {
    const h = harness(1024);
    await h.t.start();
    h.stdin.write(`{"jsonrpc":"2.0","id":42,"method":"ping","params":{"x":"${'a'.repeat(800)}`);
    h.stdin.write(`${'b'.repeat(5000)}"}}\n{"jsonrpc":"2.0","id":43,"method":"ping"}\n`);
    await h.tick();
    expect(h.out).toEqual([
      {
        jsonrpc: '2.0',
        id: 42,
        error: {
          code: -32600,
          message: expect.stringMatching(/of 5\d{3} bytes is larger than the limit of 1024 bytes/),
        },
      },
    ]);
    expect(h.received.map((m) => m.id)).toEqual([43]);
  });

  it('answers junk with -32700 and non-JSON-RPC with -32600', async () => {
    const h = harness();
    await h.t.start();
    h.stdin.write('{nope\n{"id":3,"hello":1}\n[1,2]\n');
    await h.tick();
    expect(h.out.map((m) => [m.id, m.error.code])).toEqual([
      [null, -32700],
      [3, -32600],
      [null, -32600],
    ]);
    expect(h.received).toEqual([]);
  });

  it('bounds pending requests; an answer or a cancellation frees the slot', async () => {
    const h = harness(1024, 2);
    await h.t.start();
    h.stdin.write(
      '{"jsonrpc":"2.0","id":1,"method":"a"}\n{"jsonrpc":"2.0","id":2,"method":"b"}\n{"jsonrpc":"2.0","id":3,' +
        '"method":"c"}\n',
    );
    await h.tick();
    expect(h.out).toEqual([
      { jsonrpc: '2.0', id: 3, error: { code: -32000, message: expect.stringMatching(/limit 2/) } },
    ]);
    await h.t.send({ jsonrpc: '2.0', id: 1, result: {} });
    h.stdin.write('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}\n');
    await h.tick();
    expect(h.t.pendingCount).toBe(0);
  });

  it('ends when stdin ends, even after close()', async () => {
    const h = harness();
    await h.t.start();
    await h.t.close();
    h.stdin.end();
    await h.tick();
    expect(h.ended()).toBe(1);
  });

  /** Negotiates `version` as the server would: its answer to initialize goes out through the transport. */
  async function negotiated(version: string, maxPending = 4) {
    const h = harness(1024, maxPending);
    await h.t.start();
    await h.t.send({
      jsonrpc: '2.0',
      id: 0,
      result: { protocolVersion: version, capabilities: {}, serverInfo: { name: 's', version: '1' } },
    } as never);
    h.out.length = 0;
    return h;
  }

  it('2025-03-26: a batch is served message by message and answered as one array, in the order answered', async () => {
    const h = await negotiated('2025-03-26');
    h.stdin.write(
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},' +
        '{"jsonrpc":"2.0","id":"b","method":"tools/list"},{"bad":true}]\n',
    );
    await h.tick();
    expect(h.received.map((m) => m.method)).toEqual(['ping', 'notifications/initialized', 'tools/list']);
    expect(h.out).toEqual([]); // nothing until every request in the batch is answered
    await h.t.send({ jsonrpc: '2.0', id: 'b', result: { tools: [] } } as never);
    expect(h.out).toEqual([]);
    await h.t.send({ jsonrpc: '2.0', id: 1, result: {} } as never);
    await h.tick();
    expect(h.out).toHaveLength(1);
    expect(h.out[0]).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: not a JSON-RPC 2.0 message' } },
      { jsonrpc: '2.0', id: 'b', result: { tools: [] } },
      { jsonrpc: '2.0', id: 1, result: {} },
    ]);
    expect(h.t.pendingCount).toBe(0);
  });

  it('2025-03-26: a batch keeps the pending bound; a cancelled request is not waited for', async () => {
    const h = await negotiated('2025-03-26', 2);
    h.stdin.write(
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0",' +
        '"id":3,"method":"ping"}]\n',
    );
    await h.tick();
    expect(h.received.map((m) => m.id)).toEqual([1, 2]);
    h.stdin.write('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}\n');
    await h.tick();
    await h.t.send({ jsonrpc: '2.0', id: 2, result: {} } as never);
    await h.tick();
    expect(h.out).toEqual([
      [
        {
          jsonrpc: '2.0',
          id: 3,
          error: { code: -32000, message: 'Too many requests in flight (limit 2); wait for answers first' },
        },
        { jsonrpc: '2.0', id: 2, result: {} },
      ],
    ]);
  });

  it('2025-06-18 and later (and before initialize): a batch is refused with -32600, none of it delivered', async () => {
    for (const version of ['2025-06-18', '2025-11-25', undefined]) {
      const h = version ? await negotiated(version) : harness();
      if (!version) await h.t.start();
      h.stdin.write('[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n');
      await h.tick();
      expect(h.received).toEqual([]);
      expect(h.out[0]).toMatchObject({
        id: null,
        error: { code: -32600, message: expect.stringContaining('batches are not part of protocol version') },
      });
    }
  });
});
