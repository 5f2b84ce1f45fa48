// Issue 4 figures: /metrics latency (p50/p99) and throughput at 4 and 32 connections against Debian's
// prometheus-node-exporter scraped the same way in the same run, at a similar series count; and cold start
// with OTLP telemetry configured against not.
// Run after `npm run build`: node bench/metrics.mjs [--duration 5] [--tool wrk|autocannon] [--starts 9]
// [--spaced 8 --spacing 15] [--large-checks 1000] [--idle-seconds 60 --idle-spacing 15] [--cli dist/cli/main.js];
// BENCH_SKIP_STARTS=1 skips the cold starts
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs, cpuSeconds, fmt, freePort, median, quantile, table, timeToInitialize } from './lib.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    tool: { type: 'string', default: spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk' },
    starts: { type: 'string', default: '9' },
    'node-exporter': { type: 'string', default: '/usr/bin/prometheus-node-exporter' },
    // Spaced scrapes, as Prometheus makes them: every page is fresh (the snapshot changed since the last one).
    spaced: { type: 'string', default: '8' },
    spacing: { type: 'string', default: '15' },
    // The same spaced scrapes of a daemon this large (0 skips them).
    'large-checks': { type: 'string', default: '1000' },
    // An idle daemon (no checks) and node_exporter, both scraped every --idle-spacing s for --idle-seconds.
    'idle-seconds': { type: 'string', default: '60' },
    'idle-spacing': { type: 'string', default: '15' },
    // Another build to measure (before/after runs alternate with the same script).
    cli: { type: 'string', default: fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)) },
  },
});
const DURATION = Number(values.duration);
// One client thread: on a 2-CPU machine a second one mostly takes the server's core away from it.
const WRK_THREADS = Number(process.env.WRK_THREADS ?? 1);
const STARTS = Number(values.starts);
const CLI = values.cli;
const children = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.lastErr = () => err;
  return child;
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitFor(fn, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const seriesOf = (text) => text.split('\n').filter((l) => l && !l.startsWith('#')).length;
const scrape = (url, encoding = 'identity') =>
  fetch(url, { headers: { 'accept-encoding': encoding } }).then((r) =>
    r.ok ? r.text() : Promise.reject(new Error(`${r.status}`)),
  );

// ---- load generators ---------------------------------------------------------------------------------

const UNIT = { us: 1e-3, ms: 1, s: 1000 };
const ms = (v) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  return m ? Number(m[1]) * UNIT[m[2]] : NaN;
};

/** wrk, run asynchronously: a blocked event loop would stop draining the servers' stderr pipes and stall them. */
function runWrk(url, connections) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'wrk',
      ['-t', String(WRK_THREADS), '-c', String(connections), '-d', `${DURATION}s`, '--latency', url],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let t = '';
    let err = '';
    child.stdout.on('data', (d) => (t += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk failed: ${err}`));
      if (process.env.BENCH_DEBUG) console.error(t);
      const pick = (re) => re.exec(t)?.[1];
      const socketErrors = [...t.matchAll(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/g)]
        .flatMap((m) => m.slice(1).map(Number))
        .reduce((a, b) => a + b, 0);
      resolve({
        rps: Number(pick(/Requests\/sec:\s+([\d.]+)/)),
        p50: ms(pick(/^\s+50%\s+(\S+)/m)),
        p99: ms(pick(/^\s+99%\s+(\S+)/m)),
        requests: Number(pick(/(\d+) requests in/)),
        errors: Number(pick(/Non-2xx or 3xx responses: (\d+)/) ?? 0) + socketErrors,
      });
    });
  });
}

async function runAutocannon(url, connections) {
  const autocannon = (await import('autocannon')).default;
  const r = await autocannon({ url, connections, duration: DURATION });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors + r.non2xx + r.timeouts,
  };
}

const load = (url, connections) => (values.tool === 'wrk' ? runWrk(url, connections) : runAutocannon(url, connections));

// ---- the two servers ---------------------------------------------------------------------------------

/** A loopback TCP listener the tcp checks connect to: each check adds its series without touching real services. */
async function tcpTarget() {
  const server = createNetServer((s) => s.destroy());
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

function daemonConfig(checks, targetPort) {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-bench-'));
  const file = join(dir, 'vitals.yaml');
  const lines = [
    // The rate limiter would answer most of a load test with 429; this measures the /metrics path itself.
    'http:',
    '  rateLimit:',
    '    enabled: false',
    checks ? 'checks:' : 'checks: []',
    ...Array.from(
      { length: checks },
      (_, i) =>
        `  - { name: bench-${String(i + 1).padStart(2, '0')}, kind: tcp, host: 127.0.0.1, port: ${targetPort},` +
        ` every: 5s }`,
    ),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function startDaemon(checks, targetPort, readyMs = 20_000) {
  const port = await freePort();
  const child = start(
    process.execPath,
    [CLI, 'serve', '--http', '--listen', `127.0.0.1:${port}`, '--config', daemonConfig(checks, targetPort)],
    { VITALS_LOG_LEVEL: 'warn' },
  );
  const url = `http://127.0.0.1:${port}/metrics`;
  // Ready for the bench once every check has reported and the page is complete.
  const text = await waitFor(
    async () => {
      const t = await scrape(url);
      return (t.match(/^vitals_check_up\{/gm) ?? []).length === checks && t.includes('process_cpu_utilization_ratio')
        ? t
        : undefined;
    },
    `the daemon with ${checks} checks\n${child.lastErr()}`,
    readyMs,
  );
  return { child, url, series: seriesOf(text) };
}

async function startNodeExporter() {
  const port = await freePort();
  const child = start(values['node-exporter'], [`--web.listen-address=127.0.0.1:${port}`]);
  const url = `http://127.0.0.1:${port}/metrics`;
  const text = await waitFor(() => scrape(url), `node_exporter\n${child.lastErr()}`);
  return { child, url, series: seriesOf(text) };
}

// ---- cold start ---------------------------------------------------------------------------------------

async function otlpReceiver() {
  let posts = 0;
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    posts: () => posts,
    close: () => new Promise((r) => server.close(r)),
  };
}

/**
 * ms from spawn until /livez answers 200 (the server is up), and until /readyz does (the first sample is in:
 * the monitor starts once telemetry has hooked its instrumentations, so this is where telemetry's cost lands).
 */
async function timeToLivez(env) {
  const port = await freePort();
  const started = performance.now();
  const child = start(process.execPath, [CLI, 'serve', '--http', '--listen', `127.0.0.1:${port}`], {
    VITALS_LOG_LEVEL: 'warn',
    ...env,
  });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/livez`)).status === 200, 'livez', 15_000);
    const livez = performance.now() - started;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 'readyz', 15_000);
    return { livez, readyz: performance.now() - started };
  } finally {
    await stop(child);
  }
}

/**
 * CPU per scrape when scrapes are spaced as in production (every page is fresh: the snapshot changed since the
 * last one). Each scrape's cost is the server's CPU (all threads, schedstat) from request to response plus 15 ms,
 * less a quiet window of the same length right after; medians over `--spaced` scrapes `--spacing` s apart. A
 * difference of whole windows with and without scrapes drowned a 1 ms scrape in the daemon's background (its
 * checks' rounds), which swings by several ms per second on a shared machine.
 *
 * Both encodings, interleaved in the same gaps: uncompressed, and gzip as Prometheus asks for it (its scrapes send
 * `Accept-Encoding: gzip`), where each server compresses its page and writes a fifth of the bytes. Each server's
 * two scrapes are half a gap apart, more than a tick, so each finds a fresh page.
 */
async function spacedScrapes(ne, ours) {
  const n = Number(values.spaced);
  const [neId, oursId, neGz, oursGz] = await cpuPerSpacedScrape(
    [
      { ...ne, encoding: 'identity' },
      { ...ours, encoding: 'identity' },
      { ...ne, encoding: 'gzip' },
      { ...ours, encoding: 'gzip' },
    ],
    n,
  );
  table(`spaced scrapes (${n} each, ${values.spacing} s apart; CPU ms per scrape, medians, less a quiet window)`, [
    ['uncompressed: node_exporter', `${fmt(neId, 2)} ms`, `${ne.series} series`],
    ['uncompressed: mcp-vitals', `${fmt(oursId, 2)} ms`, `${ours.series} series`],
    ['uncompressed: ratio', `${fmt(oursId / neId, 2)}x`, 'target <= 0.3x'],
    ['gzip, as Prometheus scrapes: node_exporter', `${fmt(neGz, 2)} ms`, ''],
    ['gzip, as Prometheus scrapes: mcp-vitals', `${fmt(oursGz, 2)} ms`, ''],
    ['gzip, as Prometheus scrapes: ratio', `${fmt(oursGz / neGz, 2)}x`, 'target <= 0.3x'],
  ]);
}

/** CPU ms per scrape of each server (see spacedScrapes), scraped in turn, `n` times each. */
async function cpuPerSpacedScrape(servers, n) {
  const gap = Number(values.spacing) * 1000;
  const busy = servers.map(() => []);
  const quiet = servers.map(() => []);
  for (let i = 0; i < n; i++) {
    // Spread over the gap, so one server's scrape never lands on the other's render.
    for (const [k, s] of servers.entries()) {
      await sleep(gap / servers.length);
      const c0 = cpuMs(s.child.pid);
      const t0 = performance.now();
      await scrape(s.url, s.encoding);
      await sleep(15);
      const windowMs = performance.now() - t0;
      const c1 = cpuMs(s.child.pid);
      await sleep(windowMs);
      busy[k].push(c1 - c0);
      quiet[k].push(cpuMs(s.child.pid) - c1);
    }
  }
  return servers.map((_, k) => median(busy[k]) - median(quiet[k]));
}

/** The same spaced scrapes of a daemon with --large-checks TCP checks (~22k series at 1,000). */
async function spacedLarge(targetPort) {
  const checks = Number(values['large-checks']);
  if (!checks) return;
  const large = await startDaemon(checks, targetPort, 120_000);
  const n = Number(values.spaced);
  const [perScrape] = await cpuPerSpacedScrape([large], n);
  table(`spaced scrapes of a daemon with ${checks} checks (${n}, ${values.spacing} s apart, as above)`, [
    ['mcp-vitals', `${fmt(perScrape, 2)} ms`, `${large.series} series; target <= 20 ms`],
  ]);
  await stop(large.child);
}

/**
 * What a scraped idle daemon costs next to node_exporter: a daemon with no checks and node_exporter, each scraped
 * every --idle-spacing seconds (half a gap apart) over --idle-seconds, as a share of one core (all threads): over the
 * whole window, and the median of its slices (one scrape each), which leaves out one-off start-up work that lands in
 * it (V8's memory-reducing GC, ~70 ms, and the optimizing compiler's first passes over the tick's code, ~45 ms over
 * its first seven minutes in a --trace-opt run).
 */
async function idleScraped(ne, targetPort) {
  const idle = await startDaemon(0, targetPort);
  await sleep(10_000); // past start-up work (lazy loads, first collections)
  const gap = Number(values['idle-spacing']) * 1000;
  const servers = [ne, idle];
  const c0 = servers.map((s) => cpuMs(s.child.pid));
  const slices = servers.map(() => []);
  const t0 = performance.now();
  let scrapes = 0;
  while (performance.now() - t0 < Number(values['idle-seconds']) * 1000) {
    const s0 = servers.map((s) => cpuMs(s.child.pid));
    const w0 = performance.now();
    await scrape(ne.url);
    await sleep(gap / 2);
    await scrape(idle.url);
    await sleep(gap / 2);
    const w = performance.now() - w0;
    for (const [i, s] of servers.entries()) slices[i].push(((cpuMs(s.child.pid) - s0[i]) / w) * 100);
    scrapes++;
  }
  const elapsed = performance.now() - t0;
  const share = servers.map((s, i) => ((cpuMs(s.child.pid) - c0[i]) / elapsed) * 100);
  const typical = slices.map(median);
  table(`idle, scraped every ${values['idle-spacing']} s (${scrapes} scrapes each over ${fmt(elapsed / 1000, 0)} s)`, [
    ['node_exporter', `${fmt(share[0], 3)} % of a core`, `median slice ${fmt(typical[0], 3)} %`],
    [
      'mcp-vitals, no checks',
      `${fmt(share[1], 3)} % of a core`,
      `median slice ${fmt(typical[1], 3)} %; ${idle.series} series`,
    ],
    ['ratio', `${fmt(share[1] / share[0], 2)}x`, `median slices ${fmt(typical[1] / typical[0], 2)}x; target <= 2x`],
  ]);
  await stop(idle.child);
}

// ---- main ---------------------------------------------------------------------------------------------

async function main() {
  console.log(
    `/metrics bench: ${values.tool}, ${DURATION}s per run, loopback only; node ` +
      `${process.version}, ${(await import('node:os')).cpus().length}` +
      ` CPUs (shared)`,
  );
  const target = await tcpTarget();
  const ne = await startNodeExporter();
  // Grow the daemon to node_exporter's size with checks: each adds ~22 series (status, up, latency, breaker,
  // runs and a 17-series duration histogram).
  const bare = await startDaemon(0, target.port);
  await stop(bare.child);
  const checks = Math.max(0, Math.round((ne.series - bare.series) / 22));
  const ours = await startDaemon(checks, target.port);
  console.log(
    `series: node_exporter ${ne.series}; mcp-vitals ${ours.series} (${bare.series} with no checks, ${checks} ` +
      `tcp checks added)`,
  );

  for (const s of [ne, ours]) await load(s.url, 4); // warm both (JIT, connection pools) before measuring

  const rows = [];
  for (const connections of [4, 32]) {
    const cpu0 = { ne: cpuSeconds(ne.child.pid), ours: cpuSeconds(ours.child.pid) };
    const a = await load(ne.url, connections);
    const cpu1 = cpuSeconds(ne.child.pid);
    const b = await load(ours.url, connections);
    const cpu2 = cpuSeconds(ours.child.pid);
    rows.push({
      connections,
      ne: { ...a, cpuMsPerScrape: ((cpu1 - cpu0.ne) * 1000) / a.requests },
      ours: { ...b, cpuMsPerScrape: ((cpu2 - cpu0.ours) * 1000) / b.requests },
    });
  }

  console.log('\n/metrics under load');
  console.log(
    `  ${'conns'.padEnd(6)}${'server'.padEnd(16)}${'req/s'.padStart(10)}` +
      `${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}` +
      `${'CPU ms/scrape'.padStart(15)}${'errors'.padStart(8)}`,
  );
  for (const r of rows) {
    for (const [name, v] of [
      ['node_exporter', r.ne],
      ['mcp-vitals', r.ours],
    ]) {
      console.log(
        `  ${String(r.connections).padEnd(6)}${name.padEnd(16)}${fmt(v.rps, 0).padStart(10)}` +
          `${fmt(v.p50, 2).padStart(10)}` +
          `${fmt(v.p99, 2).padStart(10)}${fmt(v.cpuMsPerScrape, 2).padStart(15)}${String(v.errors).padStart(8)}`,
      );
    }
  }
  table(
    'ratios (mcp-vitals / node_exporter)',
    rows.flatMap((r) => [
      [`throughput, ${r.connections} connections`, `${fmt(r.ours.rps / r.ne.rps, 1)}x`, 'target >= 10x'],
      [`p99 latency, ${r.connections} connections`, `${fmt(r.ours.p99 / r.ne.p99, 3)}x`, 'target <= 0.2x'],
    ]),
  );
  await spacedScrapes(ne, ours);
  await stop(ours.child);
  await idleScraped(ne, target.port);
  await spacedLarge(target.port);
  await Promise.all([stop(ne.child), target.close()]);
  if (process.env.BENCH_SKIP_STARTS) return;

  // Cold start, interleaved so drift in machine load hits both sides alike.
  const receiver = await otlpReceiver();
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  const times = { stdioOff: [], stdioOn: [], httpOff: [], httpOn: [], readyOff: [], readyOn: [] };
  for (let i = 0; i < STARTS; i++) {
    times.stdioOff.push(await timeToInitialize(process.execPath, [CLI, 'serve', '--stdio']));
    times.stdioOn.push(await timeToInitialize(process.execPath, [CLI, 'serve', '--stdio'], otlp));
    const off = await timeToLivez({});
    const on = await timeToLivez(otlp);
    times.httpOff.push(off.livez);
    times.httpOn.push(on.livez);
    times.readyOff.push(off.readyz);
    times.readyOn.push(on.readyz);
  }
  const d = (on, off) => median(on) - median(off);
  table(`cold start (median of ${STARTS}; p90 in brackets), OTLP endpoint = a local receiver`, [
    [
      'stdio: spawn → initialize reply, no telemetry',
      `${fmt(median(times.stdioOff), 0)} ms [${fmt(quantile(times.stdioOff, 0.9), 0)}]`,
    ],
    [
      'stdio: spawn → initialize reply, OTLP configured',
      `${fmt(median(times.stdioOn), 0)} ms [${fmt(quantile(times.stdioOn, 0.9), 0)}]`,
    ],
    ['stdio: added by OTLP', `${fmt(d(times.stdioOn, times.stdioOff), 0)} ms`, 'target < 150 ms'],
    [
      'http: spawn → first /livez 200, no OTLP',
      `${fmt(median(times.httpOff), 0)} ms [${fmt(quantile(times.httpOff, 0.9), 0)}]`,
    ],
    [
      'http: spawn → first /livez 200, OTLP configured',
      `${fmt(median(times.httpOn), 0)} ms [${fmt(quantile(times.httpOn, 0.9), 0)}]`,
    ],
    ['http: added by OTLP', `${fmt(d(times.httpOn, times.httpOff), 0)} ms`, 'target < 150 ms'],
    [
      'http: spawn → first /readyz 200 (first sample), no OTLP',
      `${fmt(median(times.readyOff), 0)} ms [${fmt(quantile(times.readyOff, 0.9), 0)}]`,
    ],
    [
      'http: spawn → first /readyz 200 (first sample), OTLP configured',
      `${fmt(median(times.readyOn), 0)} ms [${fmt(quantile(times.readyOn, 0.9), 0)}]`,
    ],
    [
      'http: first sample later by',
      `${fmt(d(times.readyOn, times.readyOff), 0)} ms`,
      '(SDK load, off the answer path)',
    ],
  ]);
  console.log(`  (the receiver got ${receiver.posts()} OTLP posts from the configured runs)`);
  await receiver.close();
}

const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
main().then(
  () => cleanup(),
  (e) => {
    console.error(e);
    cleanup();
    process.exitCode = 1;
  },
);
