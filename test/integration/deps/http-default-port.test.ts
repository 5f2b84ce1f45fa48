import type { NetConnectOpts } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CheckConfig } from '../../../src/config/checks.js';
import { create } from '../../../src/probes/deps/http.js';

/** Where connections to port 80 really go: the test's own listener (port 80 itself cannot be bound here). */
const redirect = vi.hoisted(() => ({ port: 0 }));
vi.mock('node:net', async (importOriginal) => {
  const net = await importOriginal<typeof import('node:net')>();
  const connect = (opts: NetConnectOpts) =>
    net.connect('port' in opts && Number(opts.port) === 80 ? { ...opts, port: redirect.port } : opts);
  return { ...net, default: { ...net, connect }, connect };
});

const { createServer } = await import('node:net');

let server: import('node:net').Server;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((s) => {
    let bytes = '';
    s.on('data', (d) => {
      bytes += d.toString('latin1');
      if (!bytes.includes('\r\n\r\n')) return;
      seen.push(bytes);
      s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  redirect.port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('http probe, a URL without a port', () => {
  it('connects to port 80 and names the host alone, as a default-port request always did', async () => {
    const probe = create(CheckConfig.parse({ name: 'dep', kind: 'http', url: 'http://127.0.0.1/health' }) as never);
    const r = await probe.run(new AbortController().signal);
    expect(r.ok, r.error).toBe(true);
    expect(seen).toEqual([
      'GET /health HTTP/1.1\r\nuser-agent: mcp-vitals\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    ]);
  });
});
