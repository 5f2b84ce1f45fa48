// Fleet benchmark: a real Prometheus holding 1,000 synthetic mcp-vitals instances (backfilled with
// `promtool tsdb create-blocks-from openmetrics`), asked through the daemon's own tool code.
// Prints fleet_health latency and answer size, query_history {instance} latency over 24 h, and diagnose {instance}.
// Targets: fleet_health under 1 s and under 4,000 characters for 1,000 instances.
// Run after `npm run build`:  node bench/fleet.mjs   (INSTANCES=1000 by default)
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, freePort, quantile, table } from './lib.mjs';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { FleetConfig } = await import(dist('config/fleet.js'));
const { Fleet } = await import(dist('fleet/index.js'));
const { fleetHealthTool } = await import(dist('mcp/tools/fleet-health.js'));
const { queryHistoryTool } = await import(dist('mcp/tools/query-history.js'));
const { diagnoseTool } = await import(dist('mcp/tools/diagnose.js'));

const N = Number(process.env.INSTANCES ?? 1000);
/** Instances that also carry 24 h of host series at 15 s (query_history reads one of them). */
const HISTORY_INSTANCES = 5;
const S = 1000;
const NOW = Math.floor(Date.now() / 1000) * 1000 - 5 * S;
const inst = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9464`;
/** 2 % failing, 5 % warning, 1 % stopped reporting half an hour ago, the rest passing. */
const statusOf = (i) => (i % 50 === 7 ? 2 : i % 20 === 3 ? 1 : 0);
const stopped = (i) => i % 100 === 42;

async function writeOpenMetrics(file) {
  const out = createWriteStream(file);
  const write = (s) => (out.write(s) ? undefined : new Promise((r) => out.once('drain', r)));
  const family = async (name, series) => {
    await write(`# TYPE ${name} gauge\n`);
    for (const [labels, samples] of series)
      for (const [t, v] of samples) await write(`${name}{${labels}} ${v} ${(t / 1000).toFixed(3)}\n`);
  };
  const lastHour = (i, value) => {
    const out = [];
    for (let t = NOW - 60 * 60 * S; t <= NOW; t += 60 * S)
      if (!stopped(i) || t < NOW - 30 * 60 * S) out.push([t, value(t)]);
    return out;
  };
  const all = Array.from({ length: N }, (_, i) => i);
  const base = (i) => `job="mcp-vitals",instance="${inst(i)}"`;
  await family(
    'target_info',
    all.map((i) => [
      `${base(i)},service_name="mcp-vitals",service_version="0.1.0",host_name="host-${i}"`,
      lastHour(i, () => 1),
    ]),
  );
  await family(
    'up',
    all.map((i) => [base(i), lastHour(-1, (t) => (stopped(i) && t >= NOW - 30 * 60 * S ? 0 : 1))]),
  );
  await family(
    'vitals_overall_status',
    all.map((i) => [base(i), lastHour(i, () => statusOf(i))]),
  );
  const checks = [
    ['cpu', 'cpu', 'false'],
    ['memory', 'memory', 'false'],
    ['orders-db', 'postgres', 'true'],
    ['cache', 'redis', 'false'],
  ];
  await family(
    'vitals_check_status',
    all.flatMap((i) =>
      checks.map(([c, kind, critical], k) => [
        `${base(i)},check="${c}",kind="${kind}",critical="${critical}"`,
        lastHour(i, () => (k === 2 ? statusOf(i) : k === 3 && statusOf(i) ? 1 : 0)),
      ]),
    ),
  );
  const day = (fn) => {
    const out = [];
    for (let t = NOW - 24 * 60 * 60 * S; t <= NOW; t += 15 * S) out.push([t, fn(t)]);
    return out;
  };
  const hist = Array.from({ length: HISTORY_INSTANCES }, (_, i) => i);
  await family(
    'system_memory_utilization_ratio',
    hist.map((i) => [
      `${base(i)},system_memory_state="used"`,
      day((t) => (0.5 + 0.2 * Math.sin(t / 3_600_000 + i)).toFixed(4)),
    ]),
  );
  await family(
    'system_cpu_utilization_ratio',
    hist.flatMap((i) =>
      ['idle', 'iowait'].map((mode) => [
        `${base(i)},cpu_mode="${mode}"`,
        day((t) => (mode === 'idle' ? 0.6 + 0.2 * Math.sin(t / 7_200_000) : 0.02).toFixed(4)),
      ]),
    ),
  );
  await write('# EOF\n');
  await new Promise((r) => out.end(r));
}

async function latency(fn, runs) {
  for (let i = 0; i < 3; i++) await fn();
  const ms = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await fn();
    ms.push(performance.now() - t0);
  }
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), last };
}

const dir = mkdtempSync(join(tmpdir(), 'vitals-fleet-bench-'));
let prometheus;
try {
  const t0 = performance.now();
  await writeOpenMetrics(join(dir, 'data.om'));
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'data.om'), join(dir, 'data')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const backfillS = (performance.now() - t0) / 1000;
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {}
    if (i > 300) throw new Error('Prometheus did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const fleet = new Fleet(FleetConfig.parse({ prometheus: { url, timeout: '30s' } }));
  // The tools read the clock from the monitor; a remote instance needs nothing else of it.
  const ctx = { fleet, monitor: { now: () => Date.now() } };
  const fh = await latency(() => fleetHealthTool.run(fleetHealthTool.input.parse({}), ctx), 20);
  const json = JSON.stringify(fh.last.data);
  const qh = await latency(
    () =>
      queryHistoryTool.run(
        queryHistoryTool.input.parse({ series: 'memory.utilization', window: '24h', instance: inst(1) }),
        ctx,
      ),
    20,
  );
  const qc = await latency(
    () =>
      queryHistoryTool.run(
        queryHistoryTool.input.parse({ series: 'cpu.utilization', window: '24h', instance: inst(1) }),
        ctx,
      ),
    10,
  );
  const dg = await latency(
    () => diagnoseTool.run(diagnoseTool.input.parse({ instance: inst(7), window: '6h' }), ctx),
    5,
  );
  fleet.close();
  console.log(fh.last.text);
  table(`fleet: ${N} instances in Prometheus (backfilled in ${fmt(backfillS)} s)`, [
    ['fleet_health p50 (ms)', fmt(fh.p50), 'target < 1000'],
    ['fleet_health p95 (ms)', fmt(fh.p95)],
    ['fleet_health text (chars)', fh.last.text.length, 'target < 4000'],
    ['fleet_health structured (chars)', json.length],
    ['query_history {instance} memory 24h p50 (ms)', fmt(qh.p50)],
    ['query_history {instance} memory 24h p95 (ms)', fmt(qh.p95)],
    ['  points / samples', `${qh.last.data.points.length} / ${qh.last.data.summary?.count}`],
    ['query_history {instance} cpu 24h p50 (ms)', fmt(qc.p50), 'subquery: an expression, not a selector'],
    ['query_history {instance} cpu 24h p95 (ms)', fmt(qc.p95)],
    ['diagnose {instance} 6h p50 (ms)', fmt(dg.p50), 'a failing instance'],
    ['  text (chars)', dg.last.text.length],
  ]);
} finally {
  if (prometheus) {
    prometheus.kill('SIGTERM');
    await new Promise((r) => prometheus.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
}
