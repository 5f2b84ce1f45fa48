import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCheck, timedRun } from '../integration/deps/helpers.js';
import { listen, type LocalServer } from '../integration/deps/servers.js';

/** Two origins (two ports): `origin` redirects to `elsewhere`, which reports the headers it was sent. */
let origin: LocalServer;
let elsewhere: LocalServer;
const seen: Record<string, string | undefined>[] = [];

beforeAll(async () => {
  elsewhere = await listen((req, _body, res) => {
    seen.push({
      'x-api-key': req.headers['x-api-key'] as string | undefined,
      'x-trace': req.headers['x-trace'] as string | undefined,
    });
    res.end('landed');
  });
  origin = await listen((req, _body, res) => {
    if (req.url === '/hop') {
      res.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/landing` }).end();
      return;
    }
    // 2 MiB of filler, then the word the check looks for.
    res.end(`${'.'.repeat(2 * 1024 * 1024)}NEEDLE`);
  });
});
afterAll(async () => {
  await origin?.close();
  await elsewhere?.close();
});

describe('http check: redirects and body size (findings 5 and 9)', () => {
  it(
    'a cross-origin redirect drops a custom secret header; forwardHeadersOnRedirect lets named ones ' + 'through',
    async () => {
      seen.length = 0;
      const plain = await timedRun(
        (
          await makeCheck({
            kind: 'http',
            url: `http://127.0.0.1:${origin.port}/hop`,
            headers: { 'X-Api-Key': 'sk-secret-123', 'X-Trace': 't1' },
            timeout: '2s',
          })
        ).check,
      );
      expect(plain.outcome.status).toBe('pass');
      expect(seen).toEqual([{ 'x-api-key': undefined, 'x-trace': undefined }]);
      const named = await timedRun(
        (
          await makeCheck({
            kind: 'http',
            url: `http://127.0.0.1:${origin.port}/hop`,
            headers: { 'X-Api-Key': 'sk-secret-123', 'X-Trace': 't1' },
            forwardHeadersOnRedirect: ['x-trace'],
            timeout: '2s',
          })
        ).check,
      );
      expect(named.outcome.status).toBe('pass');
      expect(seen[1]).toEqual({ 'x-api-key': undefined, 'x-trace': 't1' });
    },
  );

  it('bodyContains reads maxBodyBytes of the body (1 MiB by default, as documented)', async () => {
    const short = await timedRun(
      (
        await makeCheck({
          kind: 'http',
          url: `http://127.0.0.1:${origin.port}/big`,
          bodyContains: 'NEEDLE',
          timeout: '5s',
        })
      ).check,
    );
    expect(short.outcome.status).toBe('fail');
    expect(short.state.lastError).toMatch(/body does not contain/);
    const long = await timedRun(
      (
        await makeCheck({
          kind: 'http',
          url: `http://127.0.0.1:${origin.port}/big`,
          bodyContains: 'NEEDLE',
          maxBodyBytes: 4 * 1024 * 1024,
          timeout: '5s',
        })
      ).check,
    );
    expect(long.outcome.status).toBe('pass');
  });
});
