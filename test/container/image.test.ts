import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { freePort } from '../support/wait.js';
import { docker, IMAGE, inspect, run, DOCKER, waitFor } from './docker.js';

/** The stand-in base the Dockerfile's final stage starts from (scripts/container/images.sh). */
const BASE = 'node:20-bookworm-slim';
/**
 * What the image may add above its base: dist/ and production node_modules (measured 66 MiB with the bundled CLI;
 * README).
 */
const OWN_LAYERS_BUDGET_MIB = 80;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('the image built from the Dockerfile', () => {
  it('runs as the unprivileged node user, uid 1000', () => {
    expect(inspect<string>(IMAGE, '{{json .Config.User}}')).toBe('node');
    expect(docker('run', '--rm', '--network', 'none', '--entrypoint', 'id', IMAGE)).toMatch(
      /^uid=1000\(node\) gid=1000\(node\)/,
    );
  });

  it('ships production dependencies only, and dist/ without sources or tests', () => {
    // The lockfile is the ground truth: `dev: true` marks what only dev dependencies need.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean }>;
    };
    const topLevel = Object.entries(lock.packages)
      .filter(([k]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(k))
      .map(([k, v]) => [k.slice('node_modules/'.length), v] as const);
    const devOnly = topLevel.filter(([, v]) => v.dev).map(([k]) => k);
    const production = topLevel.filter(([, v]) => !v.dev && !v.optional).map(([k]) => k);
    const optional = topLevel.filter(([, v]) => !v.dev && v.optional).map(([k]) => k);
    expect(devOnly).toEqual(expect.arrayContaining(['vitest', 'typescript', 'fast-check', 'otlp-protos']));
    const listing = docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'node',
      IMAGE,
      '-e',
      `
      const fs = require('node:fs');
      const top = fs.readdirSync('node_modules').flatMap((d) =>
        d.startsWith('@') ? fs.readdirSync('node_modules/' + d).map((s) => d + '/' + s) : [d]);
      const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(d + '/' + e.name) : [d + '/' + e.name]);
      console.log(JSON.stringify({ top, dist: walk('dist') }));`,
    );
    const { top, dist } = JSON.parse(listing) as { top: string[]; dist: string[] };
    const installed = top.filter((t) => !t.startsWith('.'));
    expect(
      production.filter((p) => !installed.includes(p)),
      'production packages missing',
    ).toEqual([]);
    expect(
      installed.filter((t) => !production.includes(t) && !optional.includes(t)),
      'packages beyond the production tree',
    ).toEqual([]);
    expect(dist).toContain('dist/cli/main.js');
    expect(dist.filter((f) => /\.test\.|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it(`adds no more than its layer budget above the base image`, () => {
    const own = (inspect<number>(IMAGE, '{{json .Size}}') - inspect<number>(BASE, '{{json .Size}}')) / 1048576;
    const layers =
      inspect<string[]>(IMAGE, '{{json .RootFS.Layers}}').length -
      inspect<string[]>(BASE, '{{json .RootFS.Layers}}').length;
    console.log(
      `image ${IMAGE}: ${own.toFixed(1)} MiB in ${layers} layers of its own above ${BASE}` +
        ` (budget ${OWN_LAYERS_BUDGET_MIB} MiB)`,
    );
    expect(own).toBeGreaterThan(1);
    expect(own).toBeLessThanOrEqual(OWN_LAYERS_BUDGET_MIB);
  });
});

describe('the image running read-only, without capabilities, no-new-privileges (host network, loopback)', () => {
  const name = `mcp-vitals-image-${process.pid}`;
  const token = randomBytes(24).toString('base64url');
  const scrapeToken = randomBytes(24).toString('base64url');
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = writeConfig(`
http:
  auth:
    tokens:
      - { subject: ci, sha256: ${sha256(token)}, scopes: [vitals:read] }
  metricsAuth:
    tokens:
      - { subject: prometheus, sha256: ${sha256(scrapeToken)} }
`);
    docker(
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--volume',
      `${config}:/etc/mcp-vitals/vitals.yaml:ro`,
      '--env',
      `VITALS_HEALTHCHECK_URL=${url}/livez`,
      IMAGE,
      'serve',
      '--http',
      '--listen',
      `127.0.0.1:${port}`,
      '--config',
      '/etc/mcp-vitals/vitals.yaml',
    );
    await waitFor(
      async () => (await fetch(`${url}/livez`).catch(() => undefined))?.ok,
      () => `${name} to serve /livez\n${run(DOCKER, ['logs', name]).stderr}`,
    );
  });

  afterAll(() => {
    run(DOCKER, ['rm', '--force', name]);
  });

  it('its process is uid 1000 with no capabilities and no_new_privs, on a read-only root', () => {
    const status = docker('exec', name, 'cat', '/proc/1/status');
    expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
      expect(status).toMatch(new RegExp(`^${set}:\\s+0{16}$`, 'm'));
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    const write = run(DOCKER, ['exec', name, 'node', '-e', "require('fs').writeFileSync('/app/x', '')"]);
    expect(write.status).not.toBe(0);
    expect(write.stderr).toMatch(/EROFS|read-only/);
  });

  it("the image's own HEALTHCHECK turns healthy", async () => {
    const health = await waitFor(
      () => {
        const h = inspect<{ Status: string; Log: { ExitCode: number; Output: string }[] }>(
          name,
          '{{json .State.Health}}',
        );
        return h.Status === 'starting' ? undefined : h;
      },
      'a health status other than starting',
      90_000,
    );
    expect(health.Status, JSON.stringify(health.Log)).toBe('healthy');
    expect(health.Log.at(-1)?.ExitCode).toBe(0);
  });

  it('/health and /metrics answer; /metrics wants its token', async () => {
    const health = await waitFor(async () => {
      const r = await fetch(`${url}/health`, { headers: { authorization: `Bearer ${token}` } });
      return r.status === 200 ? ((await r.json()) as { status: string; checks: Record<string, unknown> }) : undefined;
    }, '/health 200');
    expect(health.status).toMatch(/^(pass|warn)$/);
    expect(Object.keys(health.checks)).toEqual(expect.arrayContaining(['cpu:utilization', 'memory:utilization']));
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${scrapeToken}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^vitals_check_status\{/m);
    expect(text).toMatch(/^system_cpu_utilization_ratio\{/m);
  });

  it('/mcp answers an MCP client with a token, and refuses one without', async () => {
    const refused = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(refused.status).toBe(401);
    const client = new Client({ name: 'container-test', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('health_check');
      const r = await client.callTool({ name: 'health_check', arguments: {} });
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { status: string }).status).toMatch(/^(pass|warn|fail)$/);
    } finally {
      await client.close();
    }
  });

  it('docker stop (SIGTERM) ends it with exit code 0 within the grace period', () => {
    const grace = 10;
    const started = Date.now();
    docker('stop', '--time', String(grace), name);
    const seconds = (Date.now() - started) / 1000;
    const state = inspect<{ ExitCode: number; OOMKilled: boolean }>(name, '{{json .State}}');
    console.log(`docker stop: ${seconds.toFixed(1)} s (grace ${grace} s), exit code ${state.ExitCode}`);
    expect(state.ExitCode).toBe(0);
    expect(seconds).toBeLessThan(grace);
  });
});
