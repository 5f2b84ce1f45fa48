// tools/call health_check over Streamable HTTP: mcp-vitals (auth on, rate limiter on, every hardening hook)
// against bare SDK servers with one tool: v1 (bench/bare-http-server.mjs, the SDK mcp-vitals used before) and
// v2 (bench/bare-v2-http-server.mjs, the SDK it uses now), in one run, interleaved so machine noise hits all
// alike. Modes: 2025-era stateless and stateful (sessions), and 2026-07-28 (stateless by design; v2 only).
// Then RSS with 1,000 open sessions. Loopback only.
//   node bench/http.mjs            (after npm run build)
//   BENCH_SECONDS=10 BENCH_CONNECTIONS=16 BENCH_ROUNDS=2 node bench/http.mjs
//   BENCH_MODES=stateless,2026-07-28 BENCH_SESSIONS=0 node bench/http.mjs   (some modes only, no RSS part)
//   BENCH_BASELINE=/path/to/other/dist/cli/main.js node bench/http.mjs      (also another build, e.g. main's)
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { cpuSeconds, fmt, INITIALIZE_PARAMS, rssBytes } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000);
/** The daemon's session caps: room for the RSS part's sessions and the stateful load's. */
const CAP = Math.max(SESSIONS, CONNECTIONS) * 2;
const MODES = (process.env.BENCH_MODES ?? 'stateless,stateful,2026-07-28').split(',');
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const BASELINE = process.env.BENCH_BASELINE;
const BARES = {
  v1: fileURLToPath(new URL('./bare-http-server.mjs', import.meta.url)),
  v2: fileURLToPath(new URL('./bare-v2-http-server.mjs', import.meta.url)),
};

const token = randomBytes(32).toString('base64url');
const sha256 = createHash('sha256').update(token).digest('hex');
const MCP = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};
const CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'health_check', arguments: {} },
});
// What a v2 client sends for the same call on 2026-07-28: no session, the envelope in _meta, Mcp-Method/Mcp-Name.
const MODERN = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'health_check',
};
const MODERN_CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: {
    name: 'health_check',
    arguments: {},
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
});
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: INITIALIZE_PARAMS,
});
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

function startBare(mode, sdk = 'v1') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BARES[sdk], mode === 'stateful' ? 'stateful' : 'stateless'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.once('data', (d) =>
      resolve({
        name: `bare ${sdk}`,
        child,
        pid: child.pid,
        url: `http://127.0.0.1:${Number(String(d).trim())}`,
        headers: MCP,
      }),
    );
    child.once('exit', (c) => reject(new Error(`bare server exited ${c}`)));
  });
}

function startDaemon(stateless, cli = CLI, name = 'mcp-vitals') {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-bench-'));
  const config = join(dir, 'vitals.yaml');
  // Auth and the limiter stay on (a budget nobody reaches), as a real deployment runs them.
  writeFileSync(
    config,
    `http:\n  stateless: ${stateless}\n  sessions: { max: ${CAP}, maxPerPrincipal: ${CAP} }\n` +
      `  rateLimit: { max: 100000000 }\n  auth:\n` +
      `    tokens: [{ subject: bench, sha256: ${sha256}, scopes: [vitals:read] }]\n`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve', '--http', '--listen', '127.0.0.1:0', '--config', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, VITALS_LOG_LEVEL: 'info' },
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = /"listen":"127\.0\.0\.1:(\d+)"[^\n]*"HTTP server listening"/.exec(err);
      if (m) {
        child.stderr.removeAllListeners('data');
        child.stderr.resume();
        resolve({
          name,
          child,
          pid: child.pid,
          url: `http://127.0.0.1:${m[1]}`,
          headers: { ...MCP, authorization: `Bearer ${token}` },
        });
      }
    });
    child.once('exit', (c) => reject(new Error(`daemon exited ${c}\n${err}`)));
  });
}

const stop = (t) =>
  new Promise((r) => (t.child.exitCode !== null ? r() : (t.child.once('exit', r), t.child.kill('SIGTERM'))));

async function openSession(target) {
  const r = await fetch(`${target.url}/mcp`, { method: 'POST', headers: target.headers, body: INIT });
  const sid = r.headers.get('mcp-session-id');
  await r.text();
  if (!sid) throw new Error(`${target.name}: no session (${r.status})`);
  const n = await fetch(`${target.url}/mcp`, {
    method: 'POST',
    headers: { ...target.headers, 'mcp-session-id': sid },
    body: INITIALIZED,
  });
  await n.text();
  return sid;
}

async function load(target, mode, seconds) {
  const stateful = mode === 'stateful';
  const modern = mode === '2026-07-28';
  const sessions = stateful ? await Promise.all(Array.from({ length: CONNECTIONS }, () => openSession(target))) : [];
  let next = 0;
  const headers = modern
    ? { ...MODERN, ...(target.headers.authorization ? { authorization: target.headers.authorization } : {}) }
    : target.headers;
  const cpuBefore = cpuSeconds(target.pid);
  const result = await autocannon({
    url: `${target.url}/mcp`,
    method: 'POST',
    headers,
    body: modern ? MODERN_CALL : CALL,
    connections: CONNECTIONS,
    duration: seconds,
    ...(stateful
      ? {
          setupClient: (client) =>
            client.setHeaders({ ...target.headers, 'mcp-session-id': sessions[next++ % sessions.length] }),
        }
      : {}),
  });
  if (result.non2xx || result.errors)
    throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  // CPU per request holds still when the machine is shared (throughput moves with what else runs on it).
  const cpuMs = ((cpuSeconds(target.pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuMs };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function compare(mode) {
  const sdks = mode === '2026-07-28' ? ['v2'] : ['v1', 'v2'];
  const targets = [
    ...(await Promise.all(sdks.map((sdk) => startBare(mode, sdk)))),
    await startDaemon(mode !== 'stateful'),
    ...(BASELINE ? [await startDaemon(mode !== 'stateful', BASELINE, 'baseline')] : []),
  ];
  try {
    for (const t of targets) await load(t, mode, 2);
    const runs = new Map(targets.map((t) => [t, []]));
    for (let i = 0; i < ROUNDS; i++) {
      // ABBA order: drift in machine load lands on all alike.
      const order = i % 2 ? [...targets].reverse() : targets;
      for (const t of order) runs.get(t).push(await load(t, mode, SECONDS));
    }
    const sum = (rs) => ({
      rps: mean(rs.map((r) => r.rps)),
      p50: mean(rs.map((r) => r.p50)),
      p99: mean(rs.map((r) => r.p99)),
      cpuMs: mean(rs.map((r) => r.cpuMs)),
    });
    return { mode, rows: targets.map((t) => ({ name: t.name, ...sum(runs.get(t)) })) };
  } finally {
    await Promise.all(targets.map(stop));
  }
}

async function sessionsRss(target) {
  const before = rssBytes(target.pid);
  const sids = [];
  for (let i = 0; i < SESSIONS; i += 25)
    sids.push(...(await Promise.all(Array.from({ length: Math.min(25, SESSIONS - i) }, () => openSession(target)))));
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssBytes(target.pid);
  return { before, after, sessions: sids.length };
}

const results = [];
for (const mode of MODES) results.push(await compare(mode));

let rss;
if (SESSIONS > 0) {
  const bareS = await startBare('stateful', 'v2');
  const oursS = await startDaemon(false);
  try {
    rss = { bare: await sessionsRss(bareS), ours: await sessionsRss(oursS) };
  } finally {
    await Promise.all([stop(bareS), stop(oursS)]);
  }
}

const pad = (s, n) => String(s).padStart(n);
console.log(
  `\ntools/call health_check over Streamable HTTP — ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS}s per ` +
    `target (ABBA), loopback, node ${process.version}`,
);
console.log(
  `mcp-vitals: bearer auth + rate limiter + Host/Origin checks on; bare v1/v2: node:http + SDK, one tool, ` +
    `nothing else\n`,
);
console.log(
  `  ${'mode'.padEnd(10)} ${'server'.padEnd(11)} ${pad('req/s', 9)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ` +
    `${pad('CPU ms/req', 10)}   mcp-vitals / row: req/s, CPU per request ` +
    '(targets against v2: stateless ones >= 1.50, stateful >= 0.80)',
);
for (const r of results) {
  const ours = r.rows.find((x) => x.name === 'mcp-vitals');
  // Stateless requests reuse what the daemon built once, so they should beat a server built per request.
  const target = r.mode === 'stateful' ? 0.8 : 1.5;
  for (const row of r.rows) {
    const ratio = ours.rps / row.rps;
    const verdict = row.name === 'bare v2' ? (ratio >= target ? ' ok' : ` BELOW TARGET (${fmt(target, 2)})`) : '';
    const note = row === ours ? '' : `   ${fmt(ratio, 2)}x${verdict}, CPU ${fmt(ours.cpuMs / row.cpuMs, 2)}x`;
    console.log(
      `  ${r.mode.padEnd(10)} ${row.name.padEnd(11)} ${pad(fmt(row.rps, 0), 9)} ${pad(fmt(row.p50, 1), 7)} ` +
        `${pad(fmt(row.p99, 1), 7)} ${pad(fmt(row.cpuMs, 3), 10)}${note}`,
    );
  }
}
const mib = (b) => fmt(b / 1048576, 1);
if (rss) {
  console.log(`\nRSS with ${SESSIONS} open stateful sessions`);
  console.log(`  ${'server'.padEnd(11)} ${pad('before MiB', 11)} ${pad('after MiB', 10)} ${pad('KiB/session', 12)}`);
  for (const [name, r] of [
    ['bare v2', rss.bare],
    ['mcp-vitals', rss.ours],
  ]) {
    console.log(
      `  ${name.padEnd(11)} ${pad(mib(r.before), 11)} ${pad(mib(r.after), 10)} ` +
        `${pad(fmt((r.after - r.before) / r.sessions / 1024, 1), 12)}`,
    );
  }
}
