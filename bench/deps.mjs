// Issue 3 figures: one round of 200 HTTP checks against a local server (wall time, peak open sockets, CPU ms),
// the same with 20 % of the targets black-holed, and Debian's prometheus-blackbox-exporter probing the same
// targets with the same concurrency in the same run. Loopback only.
// Run after `npm run build`: node bench/deps.mjs [--targets 200] [--timeout 2000] [--concurrency 32] [--repeat 5]
// Healthy rounds are repeated and their medians printed (the machine is shared); black-holed rounds run once.
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, fmt, freePort, median, quantile } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: '200' },
    timeout: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    repeat: { type: 'string', default: '5' },
    serve: { type: 'boolean', default: false },
  },
});

// ---------------------------------------------------------------------------------------------------------
// The targets live in a child process, so this process's CPU figure is the checker's alone. The child
// counts open connections across both listeners: the peak is the number of sockets the prober held at once.
if (args.serve) {
  let open = 0;
  let peak = 0;
  const track = (socket) => {
    open++;
    peak = Math.max(peak, open);
    socket.once('close', () => open--);
  };
  const app = createHttpServer((_req, res) => res.end('ok'));
  app.on('connection', track);
  app.keepAliveTimeout = 1000;
  // Accepts and never answers: a black hole with a live TCP handshake, the worst case for a prober.
  const held = new Set();
  const hole = createServer((s) => {
    held.add(s);
    // Read and drop the request, or the client's FIN behind it is never seen and the socket looks open forever.
    s.resume();
    s.on('error', () => {});
    s.once('close', () => held.delete(s));
  });
  hole.on('connection', track);
  await Promise.all(
    [app, hole].map((s) => new Promise((r) => s.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, r))),
  );
  process.on('message', (m) => {
    if (m === 'stats') process.send({ open, peak });
    if (m === 'reset') {
      peak = open;
      process.send({ open, peak });
    }
    if (m === 'exit') process.exit(0);
  });
  process.send({ app: app.address().port, hole: hole.address().port });
} else await main();

// ---------------------------------------------------------------------------------------------------------
async function main() {
  const N = Number(args.targets);
  const TIMEOUT = Number(args.timeout);
  const CONCURRENCY = Number(args.concurrency);
  const { parseConfig } = await import('../dist/config/load.js');
  const { DependencyCheck } = await import('../dist/monitor/dependency-check.js');
  const { sharedBulkhead } = await import('../dist/monitor/resilience.js');

  const server = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (m) => new Promise((r) => (server.once('message', r), server.send(m)));
  const ports = await new Promise((r) => server.once('message', r));

  /** Every fifth target is black-holed in the faulty set: 20 %, spread through the list as in real life. */
  const targets = (faulty) =>
    Array.from({ length: N }, (_, i) =>
      faulty && i % 5 === 4 ? `http://127.0.0.1:${ports.hole}/t/${i}` : `http://127.0.0.1:${ports.app}/t/${i}`,
    );

  /**
   * `rounds` rounds of the same checks, the last one measured. `sample: false` leaves out the 2 ms socket sampler,
   * which runs on this process's event loop and so is counted as the checks' CPU: over a black-holed round's 4 s it
   * is ~2,000 samples, a large share of that round's CPU, where blackbox_exporter's figure has no such sampler.
   */
  async function vitalsRound(urls, { concurrency = CONCURRENCY, rounds = 1, breakerFailures = 5, sample = true } = {}) {
    const config = parseConfig({
      concurrency,
      checks: urls.map((url, i) => ({
        name: `t${i}`,
        kind: 'http',
        url,
        timeout: TIMEOUT,
        breaker: { failures: breakerFailures, cooldown: '10m' },
      })),
    });
    const bulkhead = sharedBulkhead(config.concurrency);
    const checks = config.checks.map((c) => new DependencyCheck(c, bulkhead, new Set(), () => {}));
    await Promise.all(checks.map((c) => c.init()));
    let result;
    for (let r = 0; r < rounds; r++) {
      await ask('reset');
      // Our own side: TCP handles this process holds, sampled while the round runs.
      let handles = 0;
      const sampler = sample
        ? setInterval(
            () =>
              (handles = Math.max(
                handles,
                process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSSocketWrap').length,
              )),
            2,
          )
        : undefined;
      if (!sample) handles = NaN;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(checks.map((c) => c.run()));
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      clearInterval(sampler);
      const { peak } = await ask('stats');
      const ok = checks.filter((c) => c.lastOutcome?.status !== 'fail');
      const lat = ok.map((c) => c.lastOutcome.instances[0].latencySeconds * 1000);
      result = {
        wallMs,
        peak,
        handles,
        cpuMs: (cpu.user + cpu.system) / 1000,
        p50: median(lat),
        p95: quantile(lat, 0.95),
        failed: N - ok.length,
      };
    }
    await Promise.all(checks.map((c) => c.close()));
    return result;
  }

  // ---- blackbox_exporter ----------------------------------------------------------------------------------
  const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
  let blackbox;
  if (existsSync(BLACKBOX)) {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-bench-'));
    const cfg = join(dir, 'blackbox.yml');
    writeFileSync(
      cfg,
      `modules:\n  http_2xx:\n    prober: http\n    timeout: ${TIMEOUT / 1000}s\n    http:\n      ` +
        `preferred_ip_protocol: ip4\n`,
    );
    const port = await freePort();
    const child = spawn(
      BLACKBOX,
      [`--config.file=${cfg}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const get = (path) =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
    for (let i = 0; ; i++) {
      try {
        await get('/-/healthy');
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    blackbox = { child, agent, get };
  }

  /** The same targets through blackbox_exporter's /probe, at most CONCURRENCY in flight, as a scraper would. */
  async function blackboxRound(urls, concurrency = CONCURRENCY) {
    await ask('reset');
    const cpu0 = cpuSeconds(blackbox.child.pid);
    const t0 = performance.now();
    const results = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < urls.length) {
          const url = urls[next++];
          const body = await blackbox.get(`/probe?module=http_2xx&target=${encodeURIComponent(url)}`);
          const metric = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1]);
          results.push({ ok: metric('probe_success') === 1, ms: metric('probe_duration_seconds') * 1000 });
        }
      }),
    );
    const wallMs = performance.now() - t0;
    // /proc counts CPU in clock ticks; let the last ones land.
    await new Promise((r) => setTimeout(r, 50));
    const cpuMs = (cpuSeconds(blackbox.child.pid) - cpu0) * 1000;
    const { peak } = await ask('stats');
    const lat = results.filter((r) => r.ok).map((r) => r.ms);
    return {
      wallMs,
      peak,
      handles: NaN,
      cpuMs,
      p50: median(lat),
      p95: quantile(lat, 0.95),
      failed: results.filter((r) => !r.ok).length,
    };
  }

  // ---- the run --------------------------------------------------------------------------------------------
  const rows = [];
  const add = (label, r) => rows.push([label, r]);
  const REPEAT = Number(args.repeat);
  /** Median of each figure over `REPEAT` runs. */
  async function repeated(fn) {
    const runs = [];
    for (let i = 0; i < REPEAT; i++) runs.push(await fn());
    return Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((r) => r[k]))]));
  }
  // The first round in a fresh process runs on a cold JIT; a daemon lives on warm rounds, so both are shown.
  add(`mcp-vitals: ${N} healthy (c=${CONCURRENCY}), first round, cold JIT`, await vitalsRound(targets(false)));
  // Then warm-up rounds, unmeasured, for both sides.
  await vitalsRound(targets(false), { rounds: 10 });
  if (blackbox) for (let i = 0; i < 3; i++) await blackboxRound(targets(false));

  const healthy = await repeated(() => vitalsRound(targets(false)));
  add(`mcp-vitals: ${N} healthy (c=${CONCURRENCY})`, healthy);
  // Each measured round above is the first of 200 checks built just before it (and of the garbage of parsing their
  // config); a daemon runs the same checks round after round, as blackbox_exporter serves probes from a warm
  // process. This row measures the third round of the same checks; the row above is left as it was.
  const steady = await repeated(() => vitalsRound(targets(false), { rounds: 3 }));
  add(`mcp-vitals: ${N} healthy (c=${CONCURRENCY}), same checks' 3rd round`, steady);
  const serial = await repeated(() => vitalsRound(targets(false), { concurrency: 1 }));
  add(`mcp-vitals: ${N} healthy, one at a time (c=1)`, serial);
  const holed = await vitalsRound(targets(true));
  add(`mcp-vitals: ${N}, ${N / 5} black-holed (c=${CONCURRENCY})`, holed);
  const holedUnsampled = await vitalsRound(targets(true), { sample: false });
  add(`mcp-vitals: same, without the bench's socket sampler`, holedUnsampled);
  const wide = await vitalsRound(targets(true), { concurrency: 2 * CONCURRENCY });
  add(`mcp-vitals: ${N}, ${N / 5} black-holed (c=${2 * CONCURRENCY})`, wide);
  const broken = await vitalsRound(targets(true), { rounds: 2, breakerFailures: 1 });
  add(`mcp-vitals: same (c=${CONCURRENCY}), next round, breakers open`, broken);
  let bbHealthy;
  let bbSerial;
  let bbHoled;
  if (blackbox) {
    bbHealthy = await repeated(() => blackboxRound(targets(false)));
    add(`blackbox_exporter: ${N} healthy (c=${CONCURRENCY})`, bbHealthy);
    bbSerial = await repeated(() => blackboxRound(targets(false), 1));
    add(`blackbox_exporter: ${N} healthy, one at a time (c=1)`, bbSerial);
    bbHoled = await blackboxRound(targets(true));
    add(`blackbox_exporter: ${N}, ${N / 5} black-holed (c=${CONCURRENCY})`, bbHoled);
  }

  const header = [
    'scenario',
    'wall ms',
    'wall/timeout',
    'peak sockets (targets)',
    'peak sockets (ours)',
    'CPU ms',
    'probe p50 ms',
    'probe p95 ms',
    'failed',
  ];
  const body = rows.map(([label, r]) => [
    label,
    fmt(r.wallMs, 0),
    fmt(r.wallMs / TIMEOUT, 2),
    String(r.peak),
    Number.isNaN(r.handles) ? '–' : String(r.handles),
    fmt(r.cpuMs, 0),
    fmt(r.p50, 2),
    fmt(r.p95, 2),
    String(r.failed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\nDependency checks: ${N} HTTP targets on loopback, timeout ${TIMEOUT} ms, node ${process.version}`);
  console.log(line(header));
  for (const b of body) console.log(line(b));
  if (blackbox) {
    const ratio = (a, b, unit = 'ms') => `${fmt(a / b, 2)}  (${fmt(a, 2)} ${unit} vs ${fmt(b, 2)} ${unit})`;
    console.log(`\nmcp-vitals / blackbox_exporter (below 1: mcp-vitals is faster or cheaper)`);
    console.log(`  probe latency p50, one at a time   ${ratio(serial.p50, bbSerial.p50)}`);
    console.log(`  probe latency p50, c=${CONCURRENCY}             ${ratio(healthy.p50, bbHealthy.p50)}`);
    console.log(`  probe latency p95, c=${CONCURRENCY}             ${ratio(healthy.p95, bbHealthy.p95)}`);
    console.log(`  round wall time, c=${CONCURRENCY}               ${ratio(healthy.wallMs, bbHealthy.wallMs)}`);
    console.log(
      `  round CPU, c=${CONCURRENCY}                     ${ratio(healthy.cpuMs, bbHealthy.cpuMs)}   (` +
        `blackbox: its own process only)`,
    );
    console.log(`  round wall time, 20 % black-holed   ${ratio(holed.wallMs, bbHoled.wallMs)}`);
    console.log(`  separate rows (not the figures above: what the bench counts differs, see the script)`);
    console.log(
      `    round wall time, c=${CONCURRENCY}, same checks' 3rd round   ${ratio(steady.wallMs, bbHealthy.wallMs)}`,
    );
    console.log(
      `    round CPU, c=${CONCURRENCY}, same checks' 3rd round         ${ratio(steady.cpuMs, bbHealthy.cpuMs)}`,
    );
    console.log(
      `    round CPU, 20 % black-holed, without the socket sampler   ${ratio(holedUnsampled.cpuMs, bbHoled.cpuMs)}`,
    );
  } else console.log(`\n${BLACKBOX} not found: install Debian's prometheus-blackbox-exporter for the comparison.`);
  // Per run of one HTTP check: a round's CPU over its checks (this process: the probes, the checks' state and
  // the bench's own 2 ms socket sampler, so an upper bound).
  const perRun = (r) => `${fmt(r.cpuMs / N, 3)} ms`;
  console.log(`\nCPU per HTTP check run (round CPU / ${N}; target <= 1 ms)`);
  console.log(`  healthy, c=${CONCURRENCY}: ${perRun(healthy)}; one at a time: ${perRun(serial)}`);
  console.log(`  20 % black-holed, c=${CONCURRENCY}: ${perRun(holed)}; breakers open: ${perRun(broken)}`);
  console.log(`  20 % black-holed, without the bench's socket sampler: ${perRun(holedUnsampled)}`);
  if (blackbox) console.log(`  blackbox_exporter, healthy c=${CONCURRENCY}: ${perRun(bbHealthy)}`);
  console.log(
    `\nA black-holed target holds its concurrency slot for the whole timeout: with ${N / 5} of them ` +
      `and c=${CONCURRENCY}` +
      ` a round` +
      ` takes ceil(${N / 5}/${CONCURRENCY}) = ${Math.ceil(N / 5 / CONCURRENCY)} timeouts; with c >= ${N / 5}, ` +
      `one. Once their breakers open they take no slot at all.`,
  );

  blackbox?.agent.destroy();
  blackbox?.child.kill('SIGTERM');
  server.send('exit');
}
