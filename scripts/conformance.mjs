// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, which needs Node 22: it comes
// from the npm `node` package through npx, never a global install) against the built daemon: Streamable HTTP
// stateful and stateless, and stdio through a relay (the suite only speaks HTTP; the relay hands each
// JSON-RPC message to a `vitals serve --stdio` child unchanged, one child per session).
//
// Scenarios that need the reference server's fixture tools, prompts and resources (test_simple_text,
// test://static-text, test_prompt_with_arguments, …) are listed in scripts/conformance-fixture-only.yml;
// the suite fails the run when any other scenario fails, or when a listed one starts passing.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localhostHostValidation, NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'dist/cli/main.js');
const SUITE = '@modelcontextprotocol/conformance@0.1.16';
const BASELINE = join(root, 'scripts/conformance-fixture-only.yml');

function startDaemon(stateless) {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-conformance-'));
  const config = join(dir, 'vitals.yaml');
  writeFileSync(config, `http:\n  stateless: ${stateless}\n`);
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--listen', '127.0.0.1:0', '--config', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, VITALS_LOG_LEVEL: 'info' },
  });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /"listen":"[^"]*:(\d+)"[^\n]*"msg":"HTTP server listening"/.exec(err);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}/mcp`, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code}\n${err}`)));
  });
}

/** HTTP in front, one stdio daemon per session behind: messages pass through untouched both ways. */
function startStdioRelay() {
  const sessions = new Map();
  // The relay listens on loopback like the daemon does, and refuses other Host names as the daemon does.
  const hostOk = localhostHostValidation();
  const server = createServer(async (req, res) => {
    if (!hostOk(req, res)) return;
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const id = req.headers['mcp-session-id'];
    let session = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!session && req.method === 'POST' && body?.method === 'initialize') {
      const http = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => sessions.set(sid, session),
      });
      const stdio = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'serve', '--stdio', '--log-level', 'warn'],
        stderr: 'ignore',
      });
      http.onmessage = (m) => void stdio.send(m);
      stdio.onmessage = (m) => void http.send(m).catch(() => undefined);
      http.onclose = () => void stdio.close();
      await stdio.start();
      await http.start();
      session = { http, stdio };
    }
    if (!session) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: no session' } }));
      return;
    }
    await session.http.handleRequest(req, res, body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/mcp`,
        stop: () => {
          for (const s of sessions.values()) void s.stdio.close();
          server.closeAllConnections();
          server.close();
        },
      }),
    ),
  );
}

/**
 * What a mode fails by design, beside the fixture-only scenarios: a stateless server hands out no session id,
 * which server-sse-multiple-streams reports as a warning.
 */
const BY_DESIGN = { 'http stateless': ['server-sse-multiple-streams'] };

function baselineFor(label) {
  const extra = BY_DESIGN[label] ?? [];
  if (!extra.length) return BASELINE;
  const file = join(mkdtempSync(join(tmpdir(), 'vitals-conformance-baseline-')), 'baseline.yml');
  writeFileSync(file, `${readFileSync(BASELINE, 'utf8').trimEnd()}\n${extra.map((s) => `  - ${s}`).join('\n')}\n`);
  return file;
}

function runSuite(label, url) {
  return new Promise((resolve) => {
    process.stdout.write(`\n== conformance: ${label} (${url})\n`);
    const out = mkdtempSync(join(tmpdir(), `vitals-conformance-${label.replace(/\W+/g, '-')}-`));
    const child = spawn(
      'npx',
      [
        '-y',
        '-p',
        'node@22',
        '-p',
        SUITE,
        '--',
        'conformance',
        'server',
        '--url',
        url,
        '--expected-failures',
        baselineFor(label),
        '-o',
        out,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } },
    );
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.once('exit', (code) => {
      // The summary and the baseline verdict; the per-scenario chatter stays in `out`.
      const from = text.indexOf('=== SUMMARY ===');
      process.stdout.write(`${from >= 0 ? text.slice(from) : text}\n`);
      resolve(code === 0);
    });
  });
}

const results = [];
for (const [label, start] of [
  ['http stateful', () => startDaemon(false)],
  ['http stateless', () => startDaemon(true)],
  ['stdio', () => startStdioRelay()],
]) {
  const target = await start();
  try {
    results.push([label, await runSuite(label, target.url)]);
  } finally {
    target.stop();
  }
}
for (const [label, ok] of results) process.stdout.write(`conformance ${label}: ${ok ? 'pass' : 'FAIL'}\n`);
process.exit(results.every(([, ok]) => ok) ? 0 : 1);
