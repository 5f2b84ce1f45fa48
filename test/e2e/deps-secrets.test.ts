import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../support/cli.js';
import { CLI } from '../support/paths.js';
import { HOST_OFF_YAML } from '../support/host-off.js';

/** Every secret in the config, each distinctive enough that any appearance is a leak, not a coincidence. */
const SECRETS = {
  pgDown: 'PgDownPass-7f3a9c',
  pgUp: 'PgUpPass-51be20',
  pgEncoded: 'Pg/Enc@Pass-2c9d',
  redis: 'RedisPass-a81f44',
  query: 'QueryToken-0d6e13',
  apiKeyQuery: 'ApiKeyQuery-93ac07',
  bearer: 'BearerToken-c4b2f8',
  apiKeyHeader: 'ApiKeyHeader-6e1d5a',
  urlUserinfo: 'UrlUserinfo-3f7b90',
};

/**
 * A server that behaves as badly as it can for redaction: it echoes the Authorization header into a JSON
 * body the check then complains about, and redirects to a dead port with the token in the query string.
 */
let echo: Server;
let echoPort: number;
let deadPort: number;

beforeAll(async () => {
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  deadPort = (dead.address() as { port: number }).port;
  await new Promise((r) => dead.close(r));
  echo = createHttpServer((req, res) => {
    if (req.url!.startsWith('/redirect')) {
      res.statusCode = 302;
      res.setHeader('location', `http://127.0.0.1:${deadPort}/?token=${SECRETS.query}`);
      return void res.end();
    }
    res.setHeader('content-type', 'application/json');
    res.statusCode = req.url!.startsWith('/fail') ? 500 : 200;
    res.end(JSON.stringify({ seen: req.headers.authorization, key: req.headers['x-api-key'], url: req.url }));
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(async () => {
  echo?.closeAllConnections();
  await new Promise((r) => echo?.close(r));
});

function configText(hostOff = false): string {
  const headers = `{ Authorization: "Bearer ${SECRETS.bearer}", X-Api-Key: "${SECRETS.apiKeyHeader}" }`;
  return `logLevel: debug
refreshMinInterval: 0
${hostOff ? HOST_OFF_YAML : ''}
checks:
  - { name: pg-down, kind: postgres, url: "postgres://postgres:${SECRETS.pgDown}@127.0.0.1:${deadPort}/test",
      timeout: 2s }
  - { name: pg-up, kind: postgres, url: "postgres://postgres:${SECRETS.pgUp}@127.0.0.1:5432/test", timeout: 2s }
  - { name: pg-encoded, kind: postgres,
      url: "postgres://nobody_vitals:${encodeURIComponent(SECRETS.pgEncoded)}@127.0.0.1:5432/test", timeout: 2s }
  - { name: cache, kind: redis, url: "redis://:${SECRETS.redis}@127.0.0.1:6379", timeout: 2s }
  - { name: api-json, kind: http,
      url: "http://127.0.0.1:${echoPort}/ok?token=${SECRETS.query}&api_key=${SECRETS.apiKeyQuery}",
      headers: ${headers}, json: { path: "$.seen", equals: "nope" }, timeout: 2s }
  - { name: api-key, kind: http, url: "http://127.0.0.1:${echoPort}/ok", headers: ${headers},
      json: { path: "$.key", equals: "nope" }, timeout: 2s }
  - { name: api-500, kind: http,
      url: "http://user:${SECRETS.urlUserinfo}@127.0.0.1:${echoPort}/fail?token=${SECRETS.query}",
      headers: ${headers}, timeout: 2s }
  - { name: api-redirect, kind: http, url: "http://127.0.0.1:${echoPort}/redirect?token=${SECRETS.query}",
      headers: ${headers}, timeout: 2s }
`;
}

function leaks(text: string): string[] {
  return Object.values(SECRETS).filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
}

describe('no password or token from the config appears in tool output or logs', () => {
  it('the running daemon: every tool, text and structuredContent, and every stderr line at debug level', async () => {
    const file = writeConfig(configText());
    let stderr = '';
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'serve', '--stdio', '--config', file],
      env: { ...process.env } as Record<string, string>,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d) => (stderr += d));
    const client = new Client({ name: 'e2e-secrets', version: '1.0.0' });
    await client.connect(transport);
    const outputs: string[] = [];
    try {
      const calls: [string, Record<string, unknown>][] = [
        ['health_check', {}],
        ['health_check', { only_problems: true }],
        ['check_dependencies', {}],
        ['check_dependencies', { refresh: true }],
        ['check_dependencies', { names: ['pg-down', 'api-json'] }],
        ['check_dependencies', { names: ['no-such-check'] }],
        ['get_metrics', {}],
      ];
      for (const [name, args] of calls) {
        const r = await client.callTool({ name, arguments: args });
        outputs.push(JSON.stringify(r.content), JSON.stringify(r.structuredContent ?? null));
      }
      // The tool output really carries the failures whose messages could have leaked.
      const deps = (await client.callTool({ name: 'check_dependencies', arguments: {} })).structuredContent as {
        checks: { name: string; status: string; lastError?: string; instances: { target: string }[] }[];
      };
      outputs.push(JSON.stringify(deps));
      const byName = Object.fromEntries(deps.checks.map((c) => [c.name, c]));
      expect(byName['pg-down']).toMatchObject({ status: 'fail', lastError: 'connection refused' });
      expect(byName['pg-down']!.instances[0]!.target).toBe(`postgres://postgres:***@127.0.0.1:${deadPort}/test`);
      expect(byName['pg-up']!.status).toBe('pass');
      expect(byName['pg-encoded']).toMatchObject({ status: 'fail', lastError: 'role does not exist' });
      expect(byName.cache).toMatchObject({
        status: 'fail',
        lastError: 'authentication failed: a password is configured but the server has none',
      });
      expect(byName['api-json']!.lastError).toBe('JSON path $.seen is "Bearer ***", expected "nope"');
      expect(byName['api-key']!.lastError).toBe('JSON path $.key is "***", expected "nope"');
      expect(byName['api-500']!.lastError).toBe('status 500, expected 2xx');
      expect(byName['api-500']!.instances[0]!.target).toBe(`http://127.0.0.1:${echoPort}/fail`);
      expect(byName['api-redirect']!.lastError).toBe('connection refused');
    } finally {
      await client.close();
    }
    expect(leaks(outputs.join('\n'))).toEqual([]);
    const lines = stderr.trim().split('\n').filter(Boolean);
    // Debug logging was on and the failures were logged: the absence of secrets below means something.
    expect(lines.some((l) => l.includes('"level":"debug"'))).toBe(true);
    expect(lines.some((l) => l.includes('pg-down') && l.includes('connection refused'))).toBe(true);
    for (const l of lines) expect(leaks(l), l).toEqual([]);
  }, 60_000);

  it('vitals check, table and JSON', async () => {
    // Host collectors off so a busy CPU cannot turn the expected warn into a fail.
    const file = writeConfig(configText(true));
    for (const args of [
      ['check', '--config', file],
      ['check', '--json', '--config', file, '--log-level', 'debug'],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/pg-down/);
      expect(leaks(r.stdout + r.stderr), r.stdout + r.stderr).toEqual([]);
    }
  });
});
