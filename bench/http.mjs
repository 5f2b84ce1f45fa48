// tools/call health_check over Streamable HTTP: mcp-vitals (auth on, rate limiter on, every hardening hook)
// against a bare SDK server with one tool (bench/bare-http-server.mjs), stateless and stateful, in one run,
// interleaved so machine noise hits both alike. Then RSS with 1,000 open sessions. Loopback only.
//   node bench/http.mjs            (after npm run build)
//   BENCH_SECONDS=10 BENCH_CONNECTIONS=16 BENCH_ROUNDS=2 node bench/http.mjs
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { fmt, rssBytes } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-http-server.mjs', import.meta.url));

const token = randomBytes(32).toString('base64url');
const sha256 = createHash('sha256').update(token).digest('hex');
const MCP = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'health_check', arguments: {} } });
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } });
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

function startBare(mode) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BARE, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', (d) => resolve({ name: 'bare SDK', child, pid: child.pid, url: `http://127.0.0.1:${Number(String(d).trim())}`, headers: MCP }));
    child.once('exit', (c) => reject(new Error(`bare server exited ${c}`)));
  });
}

function startDaemon(stateless) {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-bench-'));
  const config = join(dir, 'vitals.yaml');
  // Auth and the limiter stay on (a budget nobody reaches), as a real deployment runs them.
  writeFileSync(
    config,
    `http:\n  stateless: ${stateless}\n  sessions: { max: ${SESSIONS * 2}, maxPerPrincipal: ${SESSIONS * 2} }\n  rateLimit: { max: 100000000 }\n  auth:\n    tokens: [{ subject: bench, sha256: ${sha256}, scopes: [vitals:read] }]\n`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--http', '--listen', '127.0.0.1:0', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, VITALS_LOG_LEVEL: 'info' } });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = /"listen":"127\.0\.0\.1:(\d+)"[^\n]*"HTTP server listening"/.exec(err);
      if (m) {
        child.stderr.removeAllListeners('data');
        child.stderr.resume();
        resolve({ name: 'mcp-vitals', child, pid: child.pid, url: `http://127.0.0.1:${m[1]}`, headers: { ...MCP, authorization: `Bearer ${token}` } });
      }
    });
    child.once('exit', (c) => reject(new Error(`daemon exited ${c}\n${err}`)));
  });
}

const stop = (t) => new Promise((r) => (t.child.exitCode !== null ? r() : (t.child.once('exit', r), t.child.kill('SIGTERM'))));

async function openSession(target) {
  const r = await fetch(`${target.url}/mcp`, { method: 'POST', headers: target.headers, body: INIT });
  const sid = r.headers.get('mcp-session-id');
  await r.text();
  if (!sid) throw new Error(`${target.name}: no session (${r.status})`);
  const n = await fetch(`${target.url}/mcp`, { method: 'POST', headers: { ...target.headers, 'mcp-session-id': sid }, body: INITIALIZED });
  await n.text();
  return sid;
}

async function load(target, stateful, seconds) {
  const sessions = stateful ? await Promise.all(Array.from({ length: CONNECTIONS }, () => openSession(target))) : [];
  let next = 0;
  const result = await autocannon({
    url: `${target.url}/mcp`,
    method: 'POST',
    headers: target.headers,
    body: CALL,
    connections: CONNECTIONS,
    duration: seconds,
    ...(stateful ? { setupClient: (client) => client.setHeaders({ ...target.headers, 'mcp-session-id': sessions[next++ % sessions.length] }) } : {}),
  });
  if (result.non2xx || result.errors) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function compare(mode) {
  const stateful = mode === 'stateful';
  const bare = await startBare(mode);
  const ours = await startDaemon(!stateful);
  try {
    await load(bare, stateful, 2);
    await load(ours, stateful, 2);
    const runs = { bare: [], ours: [] };
    for (let i = 0; i < ROUNDS; i++) {
      // ABBA order: drift in machine load lands on both.
      const order = i % 2 ? [ours, bare] : [bare, ours];
      for (const t of order) runs[t === bare ? 'bare' : 'ours'].push(await load(t, stateful, SECONDS));
    }
    const sum = (rs) => ({ rps: mean(rs.map((r) => r.rps)), p50: mean(rs.map((r) => r.p50)), p99: mean(rs.map((r) => r.p99)) });
    return { mode, bare: sum(runs.bare), ours: sum(runs.ours) };
  } finally {
    await Promise.all([stop(bare), stop(ours)]);
  }
}

async function sessionsRss(target) {
  const before = rssBytes(target.pid);
  const sids = [];
  for (let i = 0; i < SESSIONS; i += 25) sids.push(...(await Promise.all(Array.from({ length: Math.min(25, SESSIONS - i) }, () => openSession(target)))));
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssBytes(target.pid);
  return { before, after, sessions: sids.length };
}

const results = [];
for (const mode of ['stateless', 'stateful']) results.push(await compare(mode));

const bareS = await startBare('stateful');
const oursS = await startDaemon(false);
let rss;
try {
  rss = { bare: await sessionsRss(bareS), ours: await sessionsRss(oursS) };
} finally {
  await Promise.all([stop(bareS), stop(oursS)]);
}

const pad = (s, n) => String(s).padStart(n);
console.log(`\ntools/call health_check over Streamable HTTP — ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS}s per target (ABBA), loopback, node ${process.version}`);
console.log(`mcp-vitals: bearer auth + rate limiter + Host/Origin checks on; bare: node:http + SDK, one tool, nothing else\n`);
console.log(`  ${'mode'.padEnd(10)} ${'server'.padEnd(11)} ${pad('req/s', 9)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)}   ratio (target >= 0.80)`);
for (const r of results) {
  console.log(`  ${r.mode.padEnd(10)} ${'bare SDK'.padEnd(11)} ${pad(fmt(r.bare.rps, 0), 9)} ${pad(fmt(r.bare.p50, 1), 7)} ${pad(fmt(r.bare.p99, 1), 7)}`);
  const ratio = r.ours.rps / r.bare.rps;
  console.log(`  ${r.mode.padEnd(10)} ${'mcp-vitals'.padEnd(11)} ${pad(fmt(r.ours.rps, 0), 9)} ${pad(fmt(r.ours.p50, 1), 7)} ${pad(fmt(r.ours.p99, 1), 7)}   ${fmt(ratio, 2)}x ${ratio >= 0.8 ? 'ok' : 'BELOW TARGET'}`);
}
const mib = (b) => fmt(b / 1048576, 1);
console.log(`\nRSS with ${SESSIONS} open stateful sessions`);
console.log(`  ${'server'.padEnd(11)} ${pad('before MiB', 11)} ${pad('after MiB', 10)} ${pad('KiB/session', 12)}`);
for (const [name, r] of [['bare SDK', rss.bare], ['mcp-vitals', rss.ours]]) {
  console.log(`  ${name.padEnd(11)} ${pad(mib(r.before), 11)} ${pad(mib(r.after), 10)} ${pad(fmt((r.after - r.before) / r.sessions / 1024, 1), 12)}`);
}
