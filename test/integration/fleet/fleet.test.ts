import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../support/fault-proxy.js';
import { connectClient, startDaemon, type Daemon } from '../../support/http-daemon.js';
import { shortRules, startAlertmanager, startPrometheus, type PromServer } from '../../support/prometheus.js';
import { sleep, waitUntil } from '../../support/wait.js';

/**
 * Three daemons on loopback scraped by a real Prometheus (1 s scrapes and rule evaluations) with the repo's
 * alert rules loaded (their `for:` shortened: VitalsDependencyDown holds 3 s instead of 1 m, VitalsDown 2 s),
 * sending to a real Alertmanager. Daemon A watches PostgreSQL through a fault proxy (critical), B is the one
 * asked about the fleet, C posts its own check to Alertmanager and is stopped at the end.
 */
type ToolAnswer = { text: string; data: any; isError: boolean };

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  const r = (await client.callTool({ name, arguments: args })) as {
    content: { type: string; text: string }[];
    structuredContent?: unknown;
    isError?: boolean;
  };
  return { text: r.content.map((c) => c.text).join('\n'), data: r.structuredContent, isError: r.isError === true };
}

describe('the fleet through a real Prometheus and Alertmanager', () => {
  let pgProxy: FaultProxy;
  let cacheProxy: FaultProxy;
  let promProxy: FaultProxy;
  let prometheus: PromServer;
  let alertmanager: PromServer;
  let a: Daemon;
  let b: Daemon;
  let c: Daemon;
  let blind: Daemon;
  let clientA: Client;
  let clientB: Client;
  let clientBlind: Client;
  let promReadyAt = 0;
  const target = (d: Daemon) => `127.0.0.1:${d.port}`;

  beforeAll(async () => {
    pgProxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
    cacheProxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    alertmanager = await startAlertmanager();
    a = await startDaemon({
      config: `
checks:
  - name: db
    kind: postgres
    url: postgres://postgres@127.0.0.1:${pgProxy.port}/postgres
    every: 1s
    timeout: 1s
    critical: true
    failureThreshold: 1
    successThreshold: 1
    breaker: { failures: 5, cooldown: 2s }
host:
  interval: 1s
`,
    });
    c = await startDaemon({
      config: `
checks:
  - name: cache
    kind: tcp
    host: 127.0.0.1
    port: ${cacheProxy.port}
    every: 1s
    timeout: 1s
    failureThreshold: 1
    successThreshold: 1
    breaker: { failures: 5, cooldown: 2s }
fleet:
  alertmanager:
    url: ${alertmanager.url}
    post: { enabled: true, resendInterval: 5s, instance: fleet-test-c, labels: { team: vitals } }
`,
    });
    // Scrape B too, but B's port is not known before it starts: start it with a Prometheus URL picked now.
    const { freePort } = await import('../../support/wait.js');
    const promPort = await freePort();
    const promUrl = `http://127.0.0.1:${promPort}`;
    b = await startDaemon({
      config: `
fleet:
  prometheus:
    url: ${promUrl}
    timeout: 5s
    check: { every: 1s }
  alertmanager:
    url: ${alertmanager.url}
`,
    });
    prometheus = await startPrometheus(
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nrule_files: ` +
        `[rules.yml]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ` +
        `['127.0.0.1:${alertmanager.port}` +
        `']\nscrape_configs:\n  - job_name: mcp-vitals\n    static_configs:\n      - targets: ['${target(a)}', ` +
        `'${target(b)}', '${target(c)}']\n`,
      { 'rules.yml': shortRules({ VitalsDependencyDown: '3s', VitalsDown: '2s' }) },
      [],
      promPort,
    );
    promReadyAt = Date.now();
    // A daemon whose Prometheus never answers (a black-holed proxy in front of the real one).
    promProxy = await FaultProxy.start({ host: '127.0.0.1', port: prometheus.port });
    await promProxy.blackhole();
    blind = await startDaemon({
      config:
        `fleet:\n  prometheus:\n    url: http://127.0.0.1:${promProxy.port}\n    timeout: 1s\n    check: { ` +
        `every: 1s }\n`,
    });
    ({ client: clientA } = await connectClient(a.url));
    ({ client: clientB } = await connectClient(b.url));
    ({ client: clientBlind } = await connectClient(blind.url));
    // Every daemon scraped and reporting before the tests begin.
    await waitUntil(
      async () => (await call(clientB, 'fleet_health', { includePassing: true })).data?.counts?.pass === 3,
      'three passing instances in fleet_health',
      30_000,
      500,
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled([clientA?.close(), clientB?.close(), clientBlind?.close()]);
    await Promise.allSettled([a?.stop(), b?.stop(), c?.stop(), blind?.stop()]);
    await Promise.allSettled([prometheus?.stop(), alertmanager?.stop()]);
    await Promise.allSettled([pgProxy?.close(), cacheProxy?.close(), promProxy?.close()]);
  });

  it('registers the fleet tools only where a source is configured', async () => {
    const names = async (cl: Client) => (await cl.listTools()).tools.map((t) => t.name);
    expect(await names(clientB)).toEqual(expect.arrayContaining(['fleet_health', 'list_alerts', 'explain_alert']));
    expect(await names(clientA)).not.toContain('fleet_health');
    expect(await names(clientA)).not.toContain('list_alerts');
  });

  it('lists every instance with its status and host', async () => {
    const r = await call(clientB, 'fleet_health', { includePassing: true });
    expect(r.isError).toBe(false);
    expect(r.data.total).toBe(3);
    expect(r.data.instances.map((i: { instance: string }) => i.instance).sort()).toEqual(
      [target(a), target(b), target(c)].sort(),
    );
    expect(r.data.instances.every((i: { status: string; host: string | null }) => i.status === 'pass' && i.host)).toBe(
      true,
    );
    expect(r.text).toMatch(/^3 mcp-vitals instance\(s\) in Prometheus .*: 3 pass\./);
  });

  it('shows a dependency cut on one daemon in fleet_health from another', async () => {
    await pgProxy.refuse();
    const r = await waitUntil(
      async () => {
        const x = await call(clientB, 'fleet_health');
        return x.data.counts.fail === 1 ? x : undefined;
      },
      'A to fail in fleet_health',
      20_000,
      500,
    );
    expect(r.data.instances[0]).toMatchObject({
      instance: target(a),
      status: 'fail',
      checks: [{ check: 'db', status: 'fail', critical: true }],
    });
    expect(r.text).toContain(`FAIL ${target(a)}`);
    expect(r.text).toContain('db fail (critical)');
    // Passing instances are counted, not listed.
    expect(r.data.counts.pass).toBe(2);
    expect(r.data.instances).toHaveLength(1);
  });

  it('explains VitalsDependencyDown: rule, threshold, instance, value, when pending and firing', async () => {
    const r = await waitUntil(
      async () => {
        const x = await call(clientB, 'explain_alert', { name: 'VitalsDependencyDown', window: '10m' });
        return x.data?.rules?.[0]?.active?.some(
          (al: { state: string; firingAt: string | null }) => al.state === 'firing' && al.firingAt,
        )
          ? x
          : undefined;
      },
      'VitalsDependencyDown to fire',
      30_000,
      500,
    );
    expect(r.isError).toBe(false);
    const rule = r.data.rules[0];
    expect(rule.expr).toBe('vitals_check_status{critical="true"} == 2');
    expect(rule.forSeconds).toBe(3);
    expect(rule.condition).toMatchObject({ lhs: 'vitals_check_status{critical="true"}', op: '==', threshold: 2 });
    expect(rule.breachingTotal).toBe(1);
    expect(rule.current[0]).toMatchObject({ value: 2, breaching: true, labels: { instance: target(a), check: 'db' } });
    const active = rule.active.find((x: { labels: Record<string, string> }) => x.labels.instance === target(a));
    expect(active).toMatchObject({ state: 'firing', value: 2 });
    const pendingAt = Date.parse(active.activeAt);
    const firingAt = Date.parse(active.firingAt);
    // Fired no sooner than `for:` after it went pending, and within a few evaluations of that.
    expect(firingAt - pendingAt).toBeGreaterThanOrEqual(3000);
    expect(firingAt - pendingAt).toBeLessThan(10_000);
    expect(r.data.history[0]).toMatchObject({ labels: { instance: target(a), check: 'db' }, endedAt: null });
    expect(Date.parse(r.data.history[0].pendingAt)).toBe(pendingAt);
    expect(r.data.related).toContainEqual({ instance: target(a), check: 'db', status: 'fail' });
    expect(r.text).toContain('vitals_check_status{critical="true"} == 2');
    expect(r.text).toContain(
      `FIRING on ${target(a)} check=db critical=true kind=postgres: pending since ${active.activeAt}`,
    );
    expect(r.text).toContain(`firing since ${active.firingAt}`);
    expect(r.text).toContain('Critical dependency db is failing');
    // list_alerts has it too, with the same times.
    const l = await call(clientB, 'list_alerts', { name: 'VitalsDependencyDown' });
    expect(l.data.alerts[0]).toMatchObject({
      name: 'VitalsDependencyDown',
      state: 'firing',
      instance: target(a),
      since: active.activeAt,
      value: 2,
      source: 'both',
    });
  });

  it('diagnose {instance} reads another host through the same analysis as its own diagnose', async () => {
    const remote = await call(clientB, 'diagnose', { instance: target(a), window: '10m' });
    const local = await call(clientA, 'diagnose', { window: '10m' });
    expect(remote.isError, remote.text).toBe(false);
    const incident = (r: ToolAnswer) => r.data.incidents.find((i: { check: string }) => i.check === 'db');
    expect(incident(remote)).toMatchObject({ status: 'fail', ongoing: true, end: null });
    // The reason stays on the host; the answer says so rather than inventing one.
    expect(incident(remote).reason).toBe('fail as reported to Prometheus (the reason is not exported)');
    expect(remote.data.status).toBe('fail');
    expect(remote.data.headline).toBe(local.data.headline);
    // Since when: the transition as Prometheus saw it (1 s scrapes) against the host's own event.
    expect(Math.abs(Date.parse(incident(remote).start) - Date.parse(incident(local).start))).toBeLessThan(3000);
    expect(remote.text.split('\n').slice(0, 2).join('\n')).toMatch(
      new RegExp(`^${remote.data.headline.replace(/[()]/g, '\\$&')}\n\\[FAIL\\] db failed since `),
    );
    const unknown = await call(clientB, 'diagnose', { instance: '10.9.9.9:1' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('Prometheus has no mcp-vitals series for instance "10.9.9.9:1"');
  });

  it('answers an unknown alert name with the known ones', async () => {
    const r = await call(clientB, 'explain_alert', { name: 'NoSuchAlert' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/no alerting rule named "NoSuchAlert".*VitalsDependencyDown/);
    const bad = await call(clientB, 'explain_alert', { name: 'VitalsDown', from: '2023-13-45' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/invalid time "2023-13-45"/);
    // Past the bounds: a window over the limit, a limit over its maximum, an overlong name.
    const long = await call(clientB, 'explain_alert', { name: 'VitalsDown', from: '2020-01-01T00:00:00Z' });
    expect(long.isError).toBe(true);
    expect(long.text).toMatch(/longer than the limit of 366d/);
    expect((await call(clientB, 'fleet_health', { limit: 1000 })).isError).toBe(true);
    expect((await call(clientB, 'list_alerts', { name: 'x'.repeat(201) })).isError).toBe(true);
  });

  it('query_history {instance} matches the host’s own store within sampling error', async () => {
    await pgProxy.pass();
    // Disk use moves slowly: both readings of it agree closely. Memory moves with every other process on the
    // machine: the two samplers (the daemon every 1 s, Prometheus scraping every 1 s) agree within its spread.
    // The window is one both have covered in full (the daemon started before Prometheus did).
    await sleep(Math.max(0, promReadyAt + 22_000 - Date.now()));
    for (const [series, tolerance] of [
      ['disk.utilization:/', () => 0.002],
      ['memory.utilization', (l: { min: number; max: number }) => 0.01 + (l.max - l.min) / 2],
    ] as const) {
      const local = await call(clientA, 'query_history', { series, window: '20s' });
      const remote = await call(clientB, 'query_history', { series, window: '20s', instance: target(a) });
      expect(local.isError, local.text).toBe(false);
      expect(remote.isError, remote.text).toBe(false);
      expect(remote.text).toContain(`${target(a)} (from Prometheus): ${series} over 20s`);
      const [l, r] = [local.data.summary, remote.data.summary];
      expect(r.count).toBeGreaterThan(5);
      for (const k of ['min', 'avg', 'p95', 'max', 'last'] as const)
        expect(Math.abs(r[k] - l[k]), `${series} ${k}`).toBeLessThan(tolerance(l));
    }
    const remote = await call(clientB, 'query_history', {
      series: 'memory.utilization',
      window: '2m',
      instance: target(a),
    });
    expect(remote.data.points.length).toBeGreaterThan(1);
    expect(remote.data.points.length).toBeLessThanOrEqual(120);
    // A check's status series, transitions included: db failed and recovered on A.
    const status = await waitUntil(
      async () => {
        const x = await call(clientB, 'query_history', { check: 'db', window: '5m', instance: target(a) });
        return x.data?.check?.status === 'pass' ? x : undefined;
      },
      'db to pass again as Prometheus sees it',
      20_000,
      500,
    );
    expect(status.data.check.worstStatus).toBe('fail');
    expect(status.data.check.transitions.map((e: { from: string; to: string }) => `${e.from}>${e.to}`)).toEqual(
      expect.arrayContaining(['pass>fail', 'fail>pass']),
    );
    // A series the host does not have: the list of what it has.
    const unknown = await call(clientB, 'query_history', { series: 'disk.utilization:/nowhere', instance: target(a) });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/unknown series.*memory\.utilization/);
    const stranger = await call(clientB, 'query_history', { series: 'cpu.utilization', instance: '10.9.9.9:1' });
    expect(stranger.isError).toBe(true);
    expect(stranger.text).toContain(
      `Prometheus has no mcp-vitals series for instance "10.9.9.9:1". Instances seen in the last hour (3): `,
    );
    expect(stranger.text).toContain(target(a));
  });

  it('a daemon posting to Alertmanager has its alert listed there, and resolved after recovery', async () => {
    const amAlerts = async () =>
      (await (await fetch(`${alertmanager.url}/api/v2/alerts?filter=check%3D%22cache%22`)).json()) as {
        labels: Record<string, string>;
        endsAt: string;
        startsAt: string;
      }[];
    await cacheProxy.refuse();
    const firing = await waitUntil(
      async () => (await amAlerts()).find((x) => x.labels.alertname === 'VitalsCheckFailing'),
      'the posted alert in Alertmanager',
      20_000,
      300,
    );
    expect(firing.labels).toMatchObject({
      check: 'cache',
      instance: 'fleet-test-c',
      severity: 'critical',
      team: 'vitals',
      kind: 'tcp',
    });
    const listed = await call(clientB, 'list_alerts', { name: 'VitalsCheckFailing' });
    expect(listed.data.alerts).toEqual([
      expect.objectContaining({
        name: 'VitalsCheckFailing',
        state: 'firing',
        instance: 'fleet-test-c',
        source: 'alertmanager',
      }),
    ]);
    expect(listed.text).toContain('FIRING VitalsCheckFailing critical on fleet-test-c');
    // A silence on it shows in list_alerts: who, until when, why.
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const silence = await fetch(`${alertmanager.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'check', value: 'cache', isRegex: false, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt,
        createdBy: 'ops-alice',
        comment: 'cache maintenance',
      }),
    });
    expect(silence.ok).toBe(true);
    const silenced = await waitUntil(
      async () => {
        const x = await call(clientB, 'list_alerts', { name: 'VitalsCheckFailing' });
        return x.data.alerts[0]?.silencedBy.length ? x : undefined;
      },
      'the silence to apply',
      10_000,
      300,
    );
    expect(silenced.data.alerts[0].silencedBy[0]).toMatchObject({
      createdBy: 'ops-alice',
      comment: 'cache maintenance',
    });
    expect(silenced.data.counts.silenced).toBe(1);
    expect(silenced.text).toContain('[silenced by ops-alice until ');
    expect(
      (await call(clientB, 'list_alerts', { name: 'VitalsCheckFailing', includeSilenced: false })).data.alerts,
    ).toEqual([]);
    // Re-sent while firing: endsAt moves ahead.
    const later = await waitUntil(
      async () => {
        const x = (await amAlerts())[0];
        return x && Date.parse(x.endsAt) > Date.parse(firing.endsAt) ? x : undefined;
      },
      'a re-send pushing endsAt ahead',
      15_000,
      500,
    );
    await cacheProxy.pass();
    await waitUntil(async () => (await amAlerts()).length === 0, 'the alert to resolve', 15_000, 300);
    // Resolved by the daemon's post, not by expiring: well before the endsAt of the last re-send.
    expect(Date.now()).toBeLessThan(Date.parse(later.endsAt));
    const after = await call(clientB, 'list_alerts', { name: 'VitalsCheckFailing' });
    expect(after.data.alerts).toEqual([]);
  });

  it('a stopped daemon shows as not reporting', async () => {
    await c.stop();
    const r = await waitUntil(
      async () => {
        const x = await call(clientB, 'fleet_health');
        return x.data.counts.not_reporting === 1 ? x : undefined;
      },
      'C to stop reporting',
      20_000,
      500,
    );
    expect(r.data.instances.find((i: { instance: string }) => i.instance === target(c))).toMatchObject({
      status: 'not_reporting',
      reason: 'scrape failing (up == 0)',
    });
    expect(r.data.instances.find((i: { instance: string }) => i.instance === target(c)).lastSeen).toMatch(/^\d{4}-/);
    expect(r.text).toContain(`NOT REPORTING ${target(c)}`);
  });

  it(
    'a Prometheus that never answers gives a clear tool error ' + 'in time and a failing fleet check, not a hang',
    async () => {
      const started = Date.now();
      const r = await call(clientBlind, 'fleet_health');
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/Prometheus at http:\/\/127\.0\.0\.1:\d+ (did not answer within 1000ms|is failing)/);
      expect(Date.now() - started).toBeLessThan(5000);
      const q = await call(clientBlind, 'query_history', { series: 'cpu.utilization', instance: target(a) });
      expect(q.isError).toBe(true);
      expect(q.text).toMatch(/Prometheus/);
      const h = await waitUntil(
        async () => {
          const x = await call(clientBlind, 'health_check', {});
          return (x.data as { checks?: { name: string; status: string }[] }).checks?.find(
            (ch) => ch.name === 'fleet' && ch.status === 'fail',
          )
            ? x
            : undefined;
        },
        'the fleet check to fail',
        15_000,
        500,
      );
      expect(h.text).toMatch(/fleet/);
      // The daemon keeps serving.
      expect((await call(clientBlind, 'get_metrics', {})).isError).toBe(false);
    },
  );
});
