// Issue 2 and 17 figures: cost of a host sampling tick (CPU ms, forks) per collector and for the rest of the tick
// (checks, snapshot, history, listeners, timers), each systeminformation call we considered, the daemon's idle CPU
// and RSS, stdio cold start and `tools/call` latency against a bare SDK server; with --base, another build's
// checkout (e.g. a worktree of main) is measured in the same alternating runs: before/after.
// Run after `npm run build`: node bench/host.mjs [--idle-seconds 60] [--reps 3] [--base ../base-checkout]
import cp from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  cpuNanos,
  fmt,
  INITIALIZE_LINE,
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
    // Its idle daemon runs beside ours, rep by rep.
    base: { type: 'string' },
    'call-rounds': { type: 'string', default: '10' },
    'calls-per-round': { type: 'string', default: '20' },
    reps: { type: 'string', default: '3' },
    // Seconds from start to the idle window: start-up's one-off work (compiling, the memory reducer's GCs some
    // 8-30 s in) falls before it when long enough. RSS is also read 3 s after start.
    warmup: { type: 'string', default: '3' },
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

// The rest of a tick, in-process: the monitor as the daemon builds it, with what a stdio daemon subscribes to it
// (the history recorder, an MCP session's resource watcher), its collectors primed, no schedule running.
const { HealthMonitor } = await import('../dist/monitor/health-monitor.js');
const { createHistory } = await import('../dist/store/index.js');
const { Recorder } = await import('../dist/store/recorder.js');
const { watchChanges } = await import('../dist/mcp/resources/changes.js');
const { createLogger } = await import('../dist/shared/logger.js');
const log = createLogger({ level: 'silent' });
const monitor = new HealthMonitor(config, log);
const history = await createHistory(config, log);
const recorder = new Recorder(monitor, history);
recorder.start();
const watch = watchChanges(monitor, { onChange() {}, onListChanged() {} });
await monitor.prepare(250);
await monitor.sampleHost();
let gcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });
const monitorTick = await measure(() => monitor.sampleHost(), n);
const tickGcMs = gcMs / n;
gcObserver.disconnect();
const underMonitor = await measure(
  () => Promise.all(monitor.collectors.map(([c, probe]) => monitor.runCollector(c.name, probe))),
  n,
);
const publish = await measure(async () => monitor.publish(true), n);
const checks = await measure(async () => {
  monitor.hostChecks.evaluate(monitor.host, monitor.tools.stats(), Date.now(), {}, () => {});
}, n);
const build = await measure(async () => monitor.build(Date.now()), n);
const changes = { host: true, checks: new Set() };
const listeners = await measure(async () => monitor.emit('snapshot', monitor.snapshot, changes), n);
const recorded = await measure(async () => recorder.record(monitor.snapshot, changes), n);
watch.stop();
recorder.stop();
await monitor.stop();

// Timers: the process collector's event-loop delay readings wake an idle process on their own. Two bare children
// idle side by side, one holding a histogram at the collector's resolution (read from its module): a child that
// loaded the collector itself would carry zod's start-up and GC, whose noise is larger than the timer.
const RESOLUTION = Number(
  /DELAY_RESOLUTION_MS = (\d+)/.exec(
    readFileSync(new URL('../dist/probes/host/process.js', import.meta.url), 'utf8'),
  )?.[1],
);
const idleChild = (create) =>
  cp.spawn(
    process.execPath,
    [
      '-e',
      `if (${create}) require('node:perf_hooks').monitorEventLoopDelay({ resolution: ${RESOLUTION} }).enable();` +
        ' process.stdin.resume();',
    ],
    { stdio: ['pipe', 'ignore', 'inherit'] },
  );
const timerKids = [idleChild(false), idleChild(true)];
await new Promise((r) => setTimeout(r, 2000));
const timer0 = timerKids.map((k) => cpuNanos(k.pid));
const timerT0 = performance.now();
await new Promise((r) => setTimeout(r, 20_000));
const timerPct = timerKids.map((k, i) => (cpuNanos(k.pid) - timer0[i]) / 1e4 / (performance.now() - timerT0));
for (const k of timerKids) k.kill();

table(`One host sampling tick (all collectors, median of ${n})`, [
  ['CPU per tick', `${fmt(tick.cpuMs, 3)} ms`],
  ['processes forked per tick', String(tick.forksPerCall), 'target 0'],
  ...perCollector,
]);
table(`The whole tick in the monitor, as a stdio daemon runs it (median of ${n})`, [
  ['tick: collectors + publish + listeners', `${fmt(monitorTick.cpuMs, 3)} ms`],
  ['  collectors under the monitor (timeouts, states)', `${fmt(underMonitor.cpuMs, 3)} ms`],
  ['  publish: checks, snapshot, listeners', `${fmt(publish.cpuMs, 3)} ms`],
  ['    host checks evaluation', `${fmt(checks.cpuMs, 3)} ms`],
  ['    snapshot build + freeze', `${fmt(build.cpuMs, 3)} ms`],
  ['    snapshot listeners (recorder, resource watcher)', `${fmt(listeners.cpuMs, 3)} ms`],
  ['      of which history recorder', `${fmt(recorded.cpuMs, 3)} ms`],
  [
    '  telemetry observers on the tick',
    `${monitor.listenerCount('probe-run')} listeners`,
    'none without OTLP or /metrics',
  ],
  ['  garbage collection per tick (mean)', `${fmt(tickGcMs, 3)} ms`],
  [
    `timers: event-loop delay readings every ${RESOLUTION} ms`,
    `${fmt(timerPct[1] - timerPct[0], 3)} % of one core`,
    'a child with it vs without',
  ],
]);
table(
  'systeminformation calls considered (median in-process CPU; forked children cost more, not counted here)',
  siRows,
);

// Idle daemon: default 5 s interval, no client activity. With --base, the base build's daemon idles beside ours,
// started in alternating order each rep, so both see the same noise; CPU from every thread's schedstat.
const idleSeconds = Number(values['idle-seconds']);
const builds = [['this build', CLI]];
if (values.base) builds.push(['base', join(values.base, 'dist/cli/main.js')]);
const startDaemon = (cli) => {
  const d = cp.spawn(process.execPath, [cli, 'serve', '--stdio'], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, VITALS_LOG_LEVEL: 'warn' },
  });
  d.stdout.resume();
  d.stdin.write(INITIALIZE_LINE);
  return d;
};
const idle = builds.map(() => ({ cpu: [], rssStart: [], rssIdle: [] }));
const loadBefore = loadavg();
for (let rep = 0; rep < Number(values.reps); rep++) {
  const order = rep % 2 ? [...builds.keys()].reverse() : [...builds.keys()];
  const daemons = [];
  for (const i of order) daemons[i] = startDaemon(builds[i][1]);
  await new Promise((r) => setTimeout(r, 3000));
  daemons.forEach((d, i) => void idle[i].rssStart.push(rssBytes(d.pid)));
  await new Promise((r) => setTimeout(r, Math.max(0, Number(values.warmup) - 3) * 1000));
  const c0 = daemons.map((d) => cpuNanos(d.pid));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const seconds = (performance.now() - t0) / 1000;
  daemons.forEach((d, i) => {
    idle[i].cpu.push((cpuNanos(d.pid) - c0[i]) / 1e7 / seconds);
    idle[i].rssIdle.push(rssBytes(d.pid));
    d.stdin.end();
    d.kill('SIGTERM');
  });
}
const loadAfter = loadavg();
const mib = (b) => `${fmt(b / 1048576, 1)} MiB`;
const reps = (xs, f) => xs.map(f).join(' ');
const idleRows = [];
builds.forEach(([name], i) => {
  idleRows.push(
    [
      `${name}: idle CPU over ${idleSeconds}s (5 s interval)`,
      `${fmt(median(idle[i].cpu), 3)} % of one core`,
      `${i === 0 ? 'target <= 0.3 %; ' : ''}reps ${reps(idle[i].cpu, (x) => fmt(x, 3))}`,
    ],
    [`${name}: RSS 3 s after start`, mib(median(idle[i].rssStart))],
    [
      `${name}: RSS after ${idleSeconds}s idle`,
      mib(median(idle[i].rssIdle)),
      `${i === 0 ? 'target <= 60 MiB; ' : ''}reps ${reps(idle[i].rssIdle, (x) => fmt(x / 1048576, 1))}`,
    ],
  );
});
if (builds.length > 1)
  idleRows.push(
    ['idle CPU, this build / base', `${fmt(median(idle[0].cpu) / median(idle[1].cpu), 2)} x`],
    ['RSS after idle, this build / base', `${fmt(median(idle[0].rssIdle) / median(idle[1].rssIdle), 2)} x`],
  );
idleRows.push(['load average before / after', `${fmt(loadBefore[0], 2)} / ${fmt(loadAfter[0], 2)}`]);
table(`Daemon idle from ${values.warmup} s after start, median of ${values.reps} reps`, idleRows);

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

if (ours.length)
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
if (!rounds) process.exit(0);
const probe = await stdioSession(process.execPath, [CLI, 'serve', '--stdio'], { VITALS_LOG_LEVEL: 'warn' });
const resultFile = join(mkdtempSync(join(tmpdir(), 'vitals-bench-')), 'health-check.json');
writeFileSync(
  resultFile,
  JSON.stringify(await probe.call('tools/call', { name: 'health_check', arguments: {} }, true)),
);
await probe.close();
const perRound = Number(values['calls-per-round']);
const callsLoad = loadavg();
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
  ["bare v2 SDK server, health_check's result, p99", `${fmt(quantile(calls.bareV2Payload, 0.99), 3)} ms`],
  ['p50 ratio to it (same payload)', `${fmt(median(calls.ours) / median(calls.bareV2Payload), 2)} x`],
  ...(BASE_CLI
    ? [
        ['--base build health_check p50', `${fmt(median(calls.base), 3)} ms`],
        ['--base build health_check p99', `${fmt(quantile(calls.base, 0.99), 3)} ms`],
        ['--base p50 ratio to bare v2', `${fmt(median(calls.base) / median(calls.bareV2), 2)} x`],
      ]
    : []),
  ['load average (1 min) before / after the calls', `${fmt(callsLoad[0], 2)} / ${fmt(loadavg()[0], 2)}`],
]);
process.exit(0);
