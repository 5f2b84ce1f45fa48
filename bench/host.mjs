// Issue 2 figures: cost of a host sampling tick (CPU ms, forks), each systeminformation call we considered,
// the daemon's idle CPU and RSS, and stdio cold start and `tools/call` latency against a bare SDK server.
// Run after `npm run build`: node bench/host.mjs [--idle-seconds 30]
import cp from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  cpuSeconds,
  fmt,
  median,
  quantile,
  rssBytes,
  stdioCallLatency,
  stdioSession,
  table,
  timeToInitialize,
} from './lib.mjs';

const { values } = parseArgs({
  options: {
    'idle-seconds': { type: 'string', default: '30' },
    ticks: { type: 'string', default: '50' },
    starts: { type: 'string', default: '21' },
    // Another build's checkout (e.g. a worktree of main), measured in the same alternating runs: before/after.
    base: { type: 'string' },
    'call-rounds': { type: 'string', default: '10' },
    'calls-per-round': { type: 'string', default: '20' },
  },
});
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-stdio-server.mjs', import.meta.url));
const BARE_V2 = fileURLToPath(new URL('./bare-v2-stdio-server.mjs', import.meta.url));
const BARE_V2_PAYLOAD = fileURLToPath(new URL('./bare-v2-stdio-payload.mjs', import.meta.url));

// Count every child process this process starts. Patched before systeminformation loads, because it
// captures child_process functions at require time.
let forks = 0;
for (const name of ['exec', 'execFile', 'spawn', 'fork', 'execSync', 'execFileSync', 'spawnSync']) {
  const orig = cp[name];
  cp[name] = function (...args) {
    forks++;
    return orig.apply(this, args);
  };
}

const si = (await import('systeminformation')).default;
const { hostCollectors } = await import('../dist/probes/registry.js');
const { loadConfig } = await import('../dist/config/load.js');
const { config } = loadConfig({ env: {} });

async function measure(fn, n) {
  const cpu = [];
  const before = forks;
  for (let i = 0; i < n; i++) {
    const u0 = process.cpuUsage();
    await fn();
    const u = process.cpuUsage(u0);
    cpu.push((u.user + u.system) / 1000);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { cpuMs: median(cpu), forksPerCall: (forks - before) / n };
}

const n = Number(values.ticks);
const collectors = hostCollectors.map((c) => [c.name, c.create(config.host, config.host, { warn() {} })]);
for (const [, c] of collectors) if (c.prime) await c.prime();
const signal = new AbortController().signal;
const perCollector = [];
for (const [name, c] of collectors) {
  const r = await measure(() => c.run(signal), n);
  perCollector.push([`collector ${name}`, `${fmt(r.cpuMs, 3)} ms`, `${r.forksPerCall} forks/run`]);
}
const tick = await measure(() => Promise.all(collectors.map(([, c]) => c.run(signal))), n);

const siRows = [];
for (const [name, fn] of [
  ['si.currentLoad()', () => si.currentLoad()],
  ['si.mem()', () => si.mem()],
  ['si.fsSize()', () => si.fsSize()],
  ['si.networkStats()', () => si.networkStats('*')],
  ['si.processLoad? (skipped)', null],
]) {
  if (!fn) continue;
  const r = await measure(fn, Math.min(n, 20));
  siRows.push([
    name,
    `${fmt(r.cpuMs, 3)} ms`,
    `${r.forksPerCall} forks/call${r.forksPerCall > 0 ? ' -> replaced by /proc or statfs' : ' -> used'}`,
  ]);
}

table(`One host sampling tick (all collectors, median of ${n})`, [
  ['CPU per tick', `${fmt(tick.cpuMs, 3)} ms`],
  ['processes forked per tick', String(tick.forksPerCall), 'target 0'],
  ...perCollector,
]);
table(
  'systeminformation calls considered (median in-process CPU; forked children cost more, not counted here)',
  siRows,
);

// Idle daemon: default 5 s interval, no client activity.
const idleSeconds = Number(values['idle-seconds']);
const daemon = cp.spawn(process.execPath, [CLI, 'serve', '--stdio'], {
  stdio: ['pipe', 'pipe', 'ignore'],
  env: { ...process.env, VITALS_LOG_LEVEL: 'warn' },
});
daemon.stdin.write(
  `${JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
  })}\n`,
);
await new Promise((r) => setTimeout(r, 3000));
const rssAfterStart = rssBytes(daemon.pid);
const c0 = cpuSeconds(daemon.pid);
const t0 = performance.now();
await new Promise((r) => setTimeout(r, idleSeconds * 1000));
const idlePct = ((cpuSeconds(daemon.pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
const rssIdle = rssBytes(daemon.pid);
daemon.stdin.end();
daemon.kill('SIGTERM');

// Cold start, alternating to share the machine's noise between the two.
const BASE_CLI = values.base ? join(values.base, 'dist/cli/main.js') : undefined;
const ours = [];
const base = [];
const bare = [];
const bareV2 = [];
for (let i = 0; i < Number(values.starts); i++) {
  bare.push(await timeToInitialize(process.execPath, [BARE]));
  bareV2.push(await timeToInitialize(process.execPath, [BARE_V2]));
  ours.push(await timeToInitialize(process.execPath, [CLI, 'serve', '--stdio'], { VITALS_LOG_LEVEL: 'warn' }));
  if (BASE_CLI)
    base.push(await timeToInitialize(process.execPath, [BASE_CLI, 'serve', '--stdio'], { VITALS_LOG_LEVEL: 'warn' }));
}
const ratio = median(ours) / median(bareV2);

table('Daemon', [
  [`idle CPU over ${idleSeconds}s (5 s interval)`, `${fmt(idlePct, 2)} % of one core`, 'target < 1 %'],
  ['RSS 3 s after start', `${fmt(rssAfterStart / 1048576, 1)} MiB`, 'target < 80 MiB'],
  [`RSS after ${idleSeconds}s idle`, `${fmt(rssIdle / 1048576, 1)} MiB`],
]);
table(`stdio cold start to initialize reply (median of ${values.starts})`, [
  ['mcp-vitals (v2 SDK, serveStdio)', `${fmt(median(ours), 1)} ms`],
  ['bare v2 SDK server (serveStdio), one tool', `${fmt(median(bareV2), 1)} ms`],
  ['bare v1 SDK server (connect + StdioServerTransport), one tool', `${fmt(median(bare), 1)} ms`],
  ['ratio to bare v2', `${fmt(ratio, 2)} x`, 'target <= 1.0 x'],
  ['ratio to bare v1', `${fmt(median(ours) / median(bare), 2)} x`],
  ...(BASE_CLI
    ? [
        [`--base build`, `${fmt(median(base), 1)} ms`],
        ['--base ratio to bare v2', `${fmt(median(base) / median(bareV2), 2)} x`],
      ]
    : []),
]);

// tools/call over stdio: our cheapest tool (health_check, answered from the latest sample) against the bare
// server's ping, one process each, alternating rounds of sequential calls.
// A third server, the bare one answering with health_check's own result, tells the payload's share (the SDK
// validates and serializes a 2 KB result, the pipe and the client carry it) from our server's own work.
const rounds = Number(values['call-rounds']);
const probe = await stdioSession(process.execPath, [CLI, 'serve', '--stdio'], { VITALS_LOG_LEVEL: 'warn' });
const resultFile = join(mkdtempSync(join(tmpdir(), 'vitals-bench-')), 'health-check.json');
writeFileSync(
  resultFile,
  JSON.stringify(await probe.call('tools/call', { name: 'health_check', arguments: {} }, true)),
);
await probe.close();
const perRound = Number(values['calls-per-round']);
const calls = await stdioCallLatency(
  [
    ['ours', process.execPath, [CLI, 'serve', '--stdio'], { VITALS_LOG_LEVEL: 'warn' }, 'health_check'],
    ['bareV2', process.execPath, [BARE_V2], {}, 'ping'],
    ['bareV2Payload', process.execPath, [BARE_V2_PAYLOAD], { BARE_RESULT_FILE: resultFile }, 'ping'],
    ...(BASE_CLI
      ? [['base', process.execPath, [BASE_CLI, 'serve', '--stdio'], { VITALS_LOG_LEVEL: 'warn' }, 'health_check']]
      : []),
  ],
  { rounds, perRound },
);
table(`stdio tools/call after initialize (${rounds} alternating rounds of ${perRound} sequential calls)`, [
  ['mcp-vitals health_check p50', `${fmt(median(calls.ours), 3)} ms`],
  ['mcp-vitals health_check p99', `${fmt(quantile(calls.ours, 0.99), 3)} ms`],
  ['bare v2 SDK server ping p50', `${fmt(median(calls.bareV2), 3)} ms`],
  ['bare v2 SDK server ping p99', `${fmt(quantile(calls.bareV2, 0.99), 3)} ms`],
  ['p50 ratio to bare v2', `${fmt(median(calls.ours) / median(calls.bareV2), 2)} x`, 'target <= 1.1 x'],
  ['p99 ratio to bare v2', `${fmt(quantile(calls.ours, 0.99) / quantile(calls.bareV2, 0.99), 2)} x`],
  ["bare v2 SDK server, health_check's result, p50", `${fmt(median(calls.bareV2Payload), 3)} ms`],
  ['p50 ratio to it (same payload)', `${fmt(median(calls.ours) / median(calls.bareV2Payload), 2)} x`],
  ...(BASE_CLI
    ? [
        ['--base build health_check p50', `${fmt(median(calls.base), 3)} ms`],
        ['--base p50 ratio to bare v2', `${fmt(median(calls.base) / median(calls.bareV2), 2)} x`],
      ]
    : []),
]);
process.exit(0);
