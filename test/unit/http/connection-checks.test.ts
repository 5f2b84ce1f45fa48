import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConnectionsOnlyWhenOpen } from '../../../src/http/connection-checks.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A server whose header deadline is 300 ms, checked every 100 ms. */
async function listening(): Promise<number> {
  server = createServer({ headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 100 }, (_, res) =>
    res.end('ok'),
  );
  checkConnectionsOnlyWhenOpen(server);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** Node's checker, by the symbol it keeps it under. */
const checker = (s: Server) =>
  (s as unknown as Record<symbol, unknown>)[
    Object.getOwnPropertySymbols(s).find((k) => k.description === 'http.server.connectionsCheckingInterval')!
  ];

/** ms until the server cuts a client that never finishes its headers. */
function slowloris(port: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n'));
    socket.resume();
    socket.on('close', () => resolve(Date.now() - started));
    socket.on('error', () => undefined);
    setTimeout(() => reject(new Error('still open after 5 s')), 5000).unref();
  });
}

describe('connection deadlines checked only while a connection is open', () => {
  it('keeps no checker armed with no connection open', async () => {
    await listening();
    expect(checker(server!)).toBeUndefined();
  });

  it('cuts a client at the header timeout, and the next one too once the first has gone', async () => {
    const port = await listening();
    for (let i = 0; i < 2; i++) {
      const ms = await slowloris(port);
      expect(ms).toBeGreaterThanOrEqual(280);
      expect(ms).toBeLessThan(1500);
      await new Promise((r) => setTimeout(r, 50));
      expect(checker(server!)).toBeUndefined();
    }
  });

  it('answers a request on a kept-alive connection as before', async () => {
    const port = await listening();
    const r = await fetch(`http://127.0.0.1:${port}/`);
    expect(await r.text()).toBe('ok');
    expect(checker(server!)).toBeDefined();
  });
});
