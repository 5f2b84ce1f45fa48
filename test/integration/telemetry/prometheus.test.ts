import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, type PromServer } from '../../support/prometheus.js';
import { waitUntil } from '../../support/wait.js';
import { spawnDaemon, type Daemon } from './support.js';
import { writeConfig } from '../../support/cli.js';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('a real Prometheus scraping the daemon', () => {
  let daemon: Daemon;
  let prometheus: PromServer;
  let target: string;
  let api: string;

  beforeAll(async () => {
    const config = writeConfig(`
checks:
  - name: db
    kind: postgres
    url: postgres://postgres@127.0.0.1:5432/postgres
    every: 1s
`);
    daemon = spawnDaemon(['serve', '--http', '--listen', '127.0.0.1:0', '--config', config]);
    target = await daemon.httpAddress();
    prometheus = await startPrometheus(
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: mcp-vitals\n    ` +
        `static_configs:\n      - targets: ['${target}']\n`,
    );
    api = prometheus.url;
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await daemon?.stop();
  });

  async function query(promql: string): Promise<Sample[]> {
    const r = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await r.json()) as { status: string; data: { result: Sample[] }; error?: string };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result;
  }

  /** Waits until Prometheus has scraped the series at least once and returns them. */
  const series = (promql: string) =>
    waitUntil(
      async () => ((await query(promql)).length ? query(promql) : undefined),
      `${promql} in Prometheus\n${prometheus.log()}`,
      25_000,
      250,
    );

  it('scrapes the target without errors', async () => {
    const up = await series(`up{instance="${target}"}`);
    expect(up[0]?.metric.job).toBe('mcp-vitals');
    expect(up[0]?.value[1]).toBe('1');
  });

  it('has CPU, memory and filesystem series under the daemon’s instance label', async () => {
    const cpu = await series(`system_cpu_utilization_ratio{instance="${target}"}`);
    expect(cpu.map((s) => s.metric.cpu_mode)).toEqual(expect.arrayContaining(['user', 'system', 'idle']));
    const memory = await series(`system_memory_usage_bytes{instance="${target}", system_memory_state="used"}`);
    expect(Number(memory[0]!.value[1])).toBeGreaterThan(0);
    const fs = await series(
      `system_filesystem_utilization_ratio{instance="${target}", system_filesystem_mountpoint="/"}`,
    );
    const ratio = Number(fs[0]!.value[1]);
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(1);
  });

  it('has the check series, and histograms PromQL can take quantiles of', async () => {
    const up = await series(`vitals_check_up{instance="${target}", check="db"}`);
    expect(up[0]!.metric.kind).toBe('postgres');
    expect(up[0]!.value[1]).toBe('1');
    const status = await series(`vitals_check_status{instance="${target}"}`);
    expect(status.map((s) => s.metric.check)).toEqual(expect.arrayContaining(['cpu', 'memory', 'db']));
    const runs = await series(`vitals_check_runs_total{instance="${target}", check="db", outcome="success"}`);
    expect(Number(runs[0]!.value[1])).toBeGreaterThanOrEqual(1);
    const p99 = await series(
      `histogram_quantile(0.99, sum by (le) (vitals_check_duration_seconds_bucket{instance="${target}", check="db"}))`,
    );
    expect(Number(p99[0]!.value[1])).toBeGreaterThan(0);
  });

  it('joins target_info to the series (service name, version, instance id)', async () => {
    const info = await series(`target_info{instance="${target}"}`);
    expect(info[0]!.metric).toMatchObject({
      service_name: 'mcp-vitals',
      service_version: expect.any(String),
      service_instance_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });
});
