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
  const t = new BoundedStdioTransport({ maxLineBytes, maxPending, log: pino({ level: 'silent' }), stdin, stdout, onEnd: () => ended++ });
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
    expect(h.out).toEqual([{ jsonrpc: '2.0', id: 42, error: { code: -32600, message: expect.stringMatching(/of 5\d{3} bytes is larger than the limit of 1024 bytes/) } }]);
    expect(h.received.map((m) => m.id)).toEqual([43]);
  });

  it('answers junk with -32700 and non-JSON-RPC with -32600', async () => {
    const h = harness();
    await h.t.start();
    h.stdin.write('{nope\n{"id":3,"hello":1}\n[1,2]\n');
    await h.tick();
    expect(h.out.map((m) => [m.id, m.error.code])).toEqual([[null, -32700], [3, -32600], [null, -32600]]);
    expect(h.received).toEqual([]);
  });

  it('bounds pending requests; an answer or a cancellation frees the slot', async () => {
    const h = harness(1024, 2);
    await h.t.start();
    h.stdin.write('{"jsonrpc":"2.0","id":1,"method":"a"}\n{"jsonrpc":"2.0","id":2,"method":"b"}\n{"jsonrpc":"2.0","id":3,"method":"c"}\n');
    await h.tick();
    expect(h.out).toEqual([{ jsonrpc: '2.0', id: 3, error: { code: -32000, message: expect.stringMatching(/limit 2/) } }]);
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
});
