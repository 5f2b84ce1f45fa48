// Issue 17 figures: what N dependency checks cost. TCP checks every 5 s against a local listener, for
// N = 10, 100, 1,000 (or --counts): the daemon's CPU as a share of one core over a steady window, its RSS,
// and the time of a fresh /metrics render (the first scrape after a new snapshot). Loopback only.
// Run after `npm run build`: node bench/scale.mjs [--counts 10,100,1000] [--seconds 30] [--cli dist/cli/main.js]
// [--spacing 1.3] (seconds between the fresh scrapes timed after the window: render time and CPU per scrape)
// [--scraped 15] (a second window of the same length, scraped every 15 s with gzip as Prometheus does: the whole
// daemon's CPU then, which a page rendered ahead of the scrape does not make smaller, only moves off the request)
// --cli may name several builds, comma-separated: each count then runs them alternately (--reps rounds), so a
// before/after comparison is one command. A build may be preceded by node flags, space-separated
// (`--cli "dist/cli/main.js,--heap-growing-percent=50 dist/cli/main.js"`), to compare runtime settings too.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs, cpuSeconds, fmt, freePort, median, rssBytes, table } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    counts: { type: 'string', default: '10,100,1000' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '12' },
    reps: { type: 'string', default: '1' },
    cli: { type: 'string', default: fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)) },
    // Seconds between the fresh scrapes that time a render (more than the page's 1 s reuse).
    spacing: { type: 'string', default: '1.3' },
    scraped: { type: 'string' },
  },
});
const spacingMs = Number(args.spacing) * 1000;
const counts = args.counts.split(',').map(Number);
const clis = args.cli.split(',');
const seconds = Number(args.seconds);

// The target: accepts and closes. Sockets are destroyed at once so the listener's own cost stays small.
const target = createServer((s) => s.destroy());
await new Promise((r) => target.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, r));
const targetPort = target.address().port;
const dir = mkdtempSync(join(tmpdir(), 'vitals-scale-'));

function configFor(n, port) {
  const checks = Array.from(
    { length: n },
    (_, i) => `  - { name: tcp-${i}, kind: tcp, host: 127.0.0.1, port: ${targetPort}, every: 5s, timeout: 2s }`,
  );
  return [`logLevel: warn`, `concurrency: 64`, `http:`, `  listen: 127.0.0.1:${port}`, `checks:`, ...checks, ''].join(
    '\n',
  );
}

async function get(url) {
  const t0 = performance.now();
  const r = await fetch(url);
  const body = await r.text();
  return {
    ms: performance.now() - t0,
    bytes: body.length,
    series: body.split('\n').filter((l) => l && !l.startsWith('#')).length,
  };
}

async function run(n, cli, label) {
  const port = await freePort();
  const file = join(dir, `scale-${n}-${label}.yaml`);
  writeFileSync(file, configFor(n, port));
  const argv = cli.trim().split(/\s+/);
  const child = spawn(process.execPath, [...argv, 'serve', '--http', '--config', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/livez`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, base, label };
}

// Builds run one at a time, alternating (ABAB…): side by side, loopback softirq work is charged to whichever
// process happens to be running, which skews per-process CPU by tens of percent.
async function measure(n, cli) {
  const d = await run(n, cli, '');
  await new Promise((r) => setTimeout(r, Number(args.warmup) * 1000));
  const c0 = cpuSeconds(d.child.pid);
  const t0 = performance.now();
  // RSS is a sawtooth (garbage piles up in the old generation until a full GC): one reading lands anywhere on
  // it, so it is read every second of the window and the peak is reported beside the median.
  const rssSamples = [];
  const sampler = setInterval(() => rssSamples.push(rssBytes(d.child.pid) / 1048576), 1000);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(sampler);
  const cpu = ((cpuSeconds(d.child.pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
  const rss = median(rssSamples);
  const rssPeak = Math.max(...rssSamples);
  // Fresh renders: a page is reused for at most 1 s, so scrapes --spacing (1.3 s) apart each render anew. Some
  // land on a round's burst of probe results and wait behind it; the fastest is the render itself. The CPU a
  // scrape costs is the daemon's CPU from request to response (plus 15 ms for what follows it) less the same
  // length of quiet window right after, medians over the scrapes.
  const renders = [];
  const busy = [];
  const quiet = [];
  let series = 0;
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, spacingMs));
    const c0 = cpuMs(d.child.pid);
    const t0 = performance.now();
    const r = await get(`${d.base}/metrics`);
    await new Promise((r) => setTimeout(r, 15));
    const windowMs = performance.now() - t0;
    const c1 = cpuMs(d.child.pid);
    busy.push(c1 - c0);
    await new Promise((r) => setTimeout(r, windowMs));
    quiet.push(cpuMs(d.child.pid) - c1);
    renders.push(r.ms);
    series = r.series;
  }
  renders.sort((a, b) => a - b);
  let scrapedCpu;
  if (args.scraped) {
    const every = Number(args.scraped) * 1000;
    const c0 = cpuSeconds(d.child.pid);
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await (await fetch(`${d.base}/metrics`, { headers: { 'accept-encoding': 'gzip' } })).arrayBuffer();
      await new Promise((r) => setTimeout(r, Math.min(every, seconds * 1000 - (performance.now() - t0))));
    }
    scrapedCpu = ((cpuSeconds(d.child.pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
  }
  d.child.kill('SIGTERM');
  await new Promise((r) => (d.child.exitCode !== null ? r() : d.child.once('exit', r)));
  return {
    cpu,
    rss,
    rssPeak,
    render: renders[0],
    renderMedian: median(renders),
    scrapeCpu: median(busy) - median(quiet),
    scrapedCpu,
    series,
  };
}

const rows = [];
const reps = Number(args.reps);
const cpuAt = new Map();
for (const n of counts) {
  const results = clis.map(() => []);
  for (let rep = 0; rep < reps; rep++) for (const [k, cli] of clis.entries()) results[k].push(await measure(n, cli));
  for (const [k, rs] of results.entries()) {
    const cpu = median(rs.map((r) => r.cpu));
    cpuAt.set(`${k}:${n}`, cpu);
    rows.push([
      `${n} checks${clis.length > 1 ? ` #${k}` : ''}`,
      `${fmt(cpu, 2)} % of a core`,
      `RSS ${fmt(median(rs.map((r) => r.rss)), 1)} MiB (peak ${fmt(Math.max(...rs.map((r) => r.rssPeak)), 1)}),` +
        ` /metrics fresh ${fmt(median(rs.map((r) => r.render)), 1)}` +
        ` ms fastest, ${fmt(median(rs.map((r) => r.renderMedian)), 1)} ms median (${rs[0].series} series)`,
    ]);
    rows.push([
      `  spaced scrape${clis.length > 1 ? ` #${k}` : ''}`,
      `${fmt(median(rs.map((r) => r.scrapeCpu)), 1)} ms CPU`,
      `per fresh scrape, ${args.spacing} s apart${n >= 1000 ? '; target <= 20 ms at 22k series' : ''}`,
    ]);
    if (args.scraped)
      rows.push([
        `  scraped every ${args.scraped} s${clis.length > 1 ? ` #${k}` : ''}`,
        `${fmt(median(rs.map((r) => r.scrapedCpu)), 2)} % of a core`,
        'the whole daemon over a second window, renderings included wherever they run',
      ]);
  }
}
for (const [k] of clis.entries()) {
  const [a, b] = [cpuAt.get(`${k}:100`), cpuAt.get(`${k}:1000`)];
  if (a && b)
    rows.push([
      `100 -> 1000 checks${clis.length > 1 ? ` #${k}` : ''}`,
      `${fmt(b / a, 1)} x the CPU`,
      'target <= 11 x (linear)',
    ]);
}
// Per run of one TCP check: the daemon's whole CPU over one 5 s round divided by the checks (idle work
// included, so an upper bound), and the marginal cost between the two largest counts (idle work cancels).
const EVERY_MS = 5000;
const perRun = (pct, runs) => `${fmt(((pct / 100) * EVERY_MS) / runs, 3)} ms CPU per check run`;
for (const [k] of clis.entries()) {
  const tag = clis.length > 1 ? ` #${k}` : '';
  const [lo, hi] = [counts.at(-2), counts.at(-1)];
  const top = cpuAt.get(`${k}:${hi}`);
  if (top) rows.push([`${hi} checks${tag}, per run`, perRun(top, hi), 'target <= 0.3 ms (whole daemon / runs)']);
  const below = cpuAt.get(`${k}:${lo}`);
  if (top && below && hi > lo)
    rows.push([`${lo} -> ${hi} checks${tag}, per added run`, perRun(top - below, hi - lo), 'marginal']);
}
table(
  `TCP checks every 5 s against one local listener (${seconds} s steady window after ${args.warmup} s warm-up,` +
    ` median of ${reps})`,
  rows,
);
if (clis.length > 1) console.log(`  builds: ${clis.map((c, k) => `#${k} ${c}`).join(', ')}`);
target.close();
process.exit(0);
