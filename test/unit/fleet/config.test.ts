import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/config/schema.js';
import { fleetCheck, withFleetCheck } from '../../../src/fleet/check.js';

const issues = (input: unknown) => {
  const r = Config.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('fleet config', () => {
  it('fills defaults for a Prometheus source', () => {
    const c = Config.parse({ fleet: { prometheus: { url: 'http://127.0.0.1:9090' } } });
    expect(c.fleet?.prometheus).toMatchObject({
      timeout: 10_000,
      lookback: 3_600_000,
      check: { enabled: true, every: 30_000, critical: false },
      breaker: { failures: 5, cooldown: 30_000 },
      tls: { insecureSkipVerify: false },
    });
    expect(c.fleet?.alertmanager).toBeUndefined();
  });

  it('takes an Alertmanager alone, posting off unless asked', () => {
    const c = Config.parse({
      fleet: { alertmanager: { url: 'http://127.0.0.1:9093', post: { enabled: true, labels: { team: 'db' } } } },
    });
    expect(c.fleet?.alertmanager?.post).toMatchObject({
      enabled: true,
      resendInterval: 60_000,
      minStatus: 'fail',
      labels: { team: 'db' },
    });
  });

  it.each([
    [{ fleet: {} }, 'fleet.prometheus: give `prometheus`, `alertmanager`, or both'],
    [{ fleet: { prometheus: { url: 'ftp://x' } } }, 'fleet.prometheus.url: Invalid URL'],
    [
      { fleet: { prometheus: { url: 'https://u:p@prom.example' } } },
      'fleet.prometheus.url: put credentials in `bearerToken` or `basicAuth`, not in the URL',
    ],
    [
      { fleet: { prometheus: { url: 'https://prom.example/?token=x' } } },
      'fleet.prometheus.url: the URL must not carry a query string',
    ],
    [
      {
        fleet: {
          prometheus: { url: 'https://prom.example', bearerToken: 't', basicAuth: { username: 'u', password: 'p' } },
        },
      },
      'fleet.prometheus.bearerToken: give `bearerToken` or `basicAuth`, not both',
    ],
    [
      { fleet: { prometheus: { url: 'http://prom.example', bearerToken: 'secret-token' } } },
      'fleet.prometheus.url: credentials are only sent over https (plain http only on loopback)',
    ],
    [
      { fleet: { prometheus: { url: 'http://127.0.0.1:9090', timeout: 'soon' } } },
      'fleet.prometheus.timeout: invalid duration "soon"',
    ],
    [
      { fleet: { prometheus: { url: 'http://127.0.0.1:9090', lookback: '10s' } } },
      'fleet.prometheus.lookback: between 1m and 30d',
    ],
    [{ fleet: { prometheus: { url: 'http://127.0.0.1:9090', extra: 1 } } }, 'fleet.prometheus: Unrecognized key'],
    [
      { fleet: { alertmanager: { url: 'http://127.0.0.1:9093', post: { labels: { alertname: 'x' } } } } },
      'fleet.alertmanager.post.labels.alertname: alertname, check, instance and severity are set by the daemon',
    ],
    [
      { fleet: { alertmanager: { url: 'http://127.0.0.1:9093', post: { labels: { 'bad-name': 'x' } } } } },
      'fleet.alertmanager.post.labels.bad-name: not a Prometheus label name',
    ],
    [
      {
        fleet: { prometheus: { url: 'http://127.0.0.1:9090' } },
        checks: [{ name: 'fleet', kind: 'tcp', host: 'x', port: 1 }],
      },
      'checks.0.name: "fleet" is the check of fleet.prometheus',
    ],
    // Durations that become timers: past 2^31-1 ms Node fires them after 1 ms (a post loop every millisecond).
    [
      { fleet: { alertmanager: { url: 'http://127.0.0.1:9093', post: { enabled: true, resendInterval: '30d' } } } },
      'fleet.alertmanager.post.resendInterval: at most',
    ],
    [{ fleet: { prometheus: { url: 'http://127.0.0.1:9090', timeout: '30d' } } }, 'fleet.prometheus.timeout: at most'],
    [
      { fleet: { prometheus: { url: 'http://127.0.0.1:9090', breaker: { cooldown: '30d' } } } },
      'fleet.prometheus.breaker.cooldown: at most',
    ],
    [
      { fleet: { prometheus: { url: 'http://127.0.0.1:9090', check: { every: '30d' } } } },
      'fleet.prometheus.check.every: at most',
    ],
  ])('%j', (input, message) => expect(issues(input).join('\n')).toContain(message));

  it('lets a check be named fleet when the fleet check is off', () => {
    expect(
      issues({
        fleet: { prometheus: { url: 'http://127.0.0.1:9090', check: { enabled: false } } },
        checks: [{ name: 'fleet', kind: 'tcp', host: 'x', port: 1 }],
      }),
    ).toEqual([]);
  });
});

describe('the fleet check', () => {
  it('is an http check of the query API with the source’s credentials, timeout and breaker', () => {
    const c = Config.parse({
      fleet: {
        prometheus: {
          url: 'https://prom.example/prefix/',
          bearerToken: 'tok-123',
          timeout: '3s',
          check: { every: '10s', critical: true },
          tls: { insecureSkipVerify: true },
        },
      },
    });
    const check = fleetCheck(c.fleet!.prometheus!);
    expect(check).toMatchObject({
      name: 'fleet',
      kind: 'http',
      url: 'https://prom.example/prefix/api/v1/query?query=vector(1)',
      headers: { Authorization: 'Bearer tok-123' },
      json: { path: 'status', equals: 'success' },
      timeout: 3000,
      every: 10_000,
      critical: true,
      tls: { insecureSkipVerify: true },
    });
    expect(withFleetCheck(c).checks.map((x) => x.name)).toEqual(['fleet']);
  });

  it('sends basic auth as a header', () => {
    const c = Config.parse({
      fleet: { prometheus: { url: 'https://prom.example', basicAuth: { username: 'u', password: 'p' } } },
    });
    expect(
      fleetCheck(c.fleet!.prometheus!).kind === 'http' &&
        (fleetCheck(c.fleet!.prometheus!) as { headers: Record<string, string> }).headers.Authorization,
    ).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('is absent without a Prometheus source or when switched off', () => {
    expect(withFleetCheck(Config.parse({})).checks).toEqual([]);
    expect(withFleetCheck(Config.parse({ fleet: { alertmanager: { url: 'http://127.0.0.1:9093' } } })).checks).toEqual(
      [],
    );
    expect(
      withFleetCheck(
        Config.parse({ fleet: { prometheus: { url: 'http://127.0.0.1:9090', check: { enabled: false } } } }),
      ).checks,
    ).toEqual([]);
  });
});

describe('fleet credentials', () => {
  it(
    'are masked wherever the config is shown, and the fleet check’s header is among the monitor’s ' + 'secrets',
    async () => {
      const { redactDeep, collectSecrets } = await import('../../../src/shared/redact.js');
      const c = Config.parse({
        fleet: {
          prometheus: { url: 'https://prom.example', bearerToken: 'tok-fleet-123' },
          alertmanager: { url: 'https://am.example', basicAuth: { username: 'u', password: 'am-pass-456' } },
        },
      });
      const shown = JSON.stringify(redactDeep(c));
      expect(shown).not.toContain('tok-fleet-123');
      expect(shown).not.toContain('am-pass-456');
      const secrets = collectSecrets(withFleetCheck(c).checks);
      expect([...secrets].some((s) => s.includes('tok-fleet-123'))).toBe(true);
    },
  );
});
