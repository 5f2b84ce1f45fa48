import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../support/cli.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { HOST_OFF_YAML } from '../support/host-off.js';

let listener: Server;
let openPort: number;
let closedPort: number;
let blackhole: FaultProxy;
/** Answers 200 after 150 ms. */
let slow: HttpServer;
let slowPort: number;

beforeAll(async () => {
  listener = createServer((s) => s.end());
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  openPort = (listener.address() as { port: number }).port;
  const gone = createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  closedPort = (gone.address() as { port: number }).port;
  await new Promise((r) => gone.close(r));
  blackhole = await FaultProxy.start({ host: '127.0.0.1', port: openPort });
  await blackhole.blackhole();
  slow = createHttpServer((_req, res) => setTimeout(() => res.end('ok'), 150));
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  slowPort = (slow.address() as { port: number }).port;
});
afterAll(async () => {
  await blackhole?.close();
  await new Promise((r) => listener?.close(r));
  slow?.closeAllConnections();
  await new Promise((r) => slow?.close(r));
});

const tcp = (name: string, port: number, extra = '') =>
  `  - { name: ${name}, kind: tcp, host: 127.0.0.1, port: ${port}${extra} }\n`;
// Host collectors off, so only the checks under test can move the exit code on a busy machine.
const config = (checks: string) => writeConfig(`${HOST_OFF_YAML}checks:\n${checks}`);

interface JsonReport {
  status: string;
  checks: { name: string; status: string; output: string }[];
}
const parse = (stdout: string) => JSON.parse(stdout) as JsonReport;

describe('vitals check exit codes (Nagios plugin convention)', () => {
  it('0 when every check passes', async () => {
    const r = await runCli(['check', '--config', config(tcp('up', openPort, ', critical: true'))]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^✔ ok\s+up\s+\d/m);
  });

  it('1 when a non-critical dependency fails: the service still works without it', async () => {
    const file = config(tcp('up', openPort, ', critical: true') + tcp('optional', closedPort));
    const r = await runCli(['check', '--config', file]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^✖ failed\s+optional\s+–\s+connection refused$/m);
    const json = await runCli(['check', '--json', '--config', file]);
    expect(json.code).toBe(1);
    const report = parse(json.stdout);
    expect(report.status).toBe('warn');
    expect(report.checks.find((c) => c.name === 'optional')).toMatchObject({
      status: 'fail',
      output: 'connection refused',
    });
  });

  it('1 when a check is up but slower than its maxResponseTime', async () => {
    const r = await runCli([
      'check',
      '--json',
      '--config',
      config(
        `  - { name: slow, kind: http, url: "http://127.0.0.1:${slowPort}/", maxResponseTime: 50ms, critical: true }\n`,
      ),
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(parse(r.stdout).checks.find((c) => c.name === 'slow')).toMatchObject({
      status: 'warn',
      output: expect.stringMatching(/^response time \d+ms above 50ms$/),
    });
  });

  it('2 when a critical check fails, reported on its first failed round even with failureThreshold 5', async () => {
    // The daemon would keep reporting pass for four more rounds; one round of `vitals check` reports the raw outcome.
    const r = await runCli([
      'check',
      '--json',
      '--config',
      config(tcp('db', closedPort, ', critical: true, failureThreshold: 5')),
    ]);
    expect(r.code, r.stderr).toBe(2);
    const report = parse(r.stdout);
    expect(report.status).toBe('fail');
    expect(report.checks.find((c) => c.name === 'db')).toMatchObject({ status: 'fail', output: 'connection refused' });
  });

  it('2 within the timeout when a critical dependency hangs, never waiting on it', async () => {
    const t0 = performance.now();
    const r = await runCli([
      'check',
      '--config',
      config(
        `  - { name: hung, kind: http, url: "http://127.0.0.1:${blackhole.port}/", timeout: 1s, critical: true }\n`,
      ),
    ]);
    const ms = performance.now() - t0;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/^✖ failed\s+hung\s+–\s+timed out after 1000ms$/m);
    // Process start, a 0.5 s CPU priming pause and the 1 s timeout; far from the 30 s test limit.
    expect(ms).toBeLessThan(6000);
  });

  it('3 when the config is invalid, naming the key path; 3 when the file is missing', async () => {
    const bad = await runCli(['check', '--config', config('  - { name: nourl, kind: http }\n')]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/checks\[0\]\(nourl\)\.url: needs `url` or `instances`/);
    const badJson = await runCli(['check', '--json', '--config', config('  - { name: x, kind: nosuch }\n')]);
    expect(badJson.code).toBe(3);
    expect(parse(badJson.stdout).status).toBe('unknown');
    const missing = await runCli(['check', '--config', '/nonexistent/vitals.yaml']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/file not found/);
  });
});
