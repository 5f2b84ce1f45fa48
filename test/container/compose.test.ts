import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/paths.js';
import { docker, IMAGE, inspect, run, waitFor } from './docker.js';

/**
 * docker-compose.yml, for real where it can be: Debian's docker-compose validates the whole file, then brings
 * up vitals with the stand-ins for PostgreSQL, Redis and Prometheus (Debian's packages) and the repo's
 * deploy/compose config. Grafana and Jaeger have no Debian package, so no stand-in: their definitions are
 * validated but not run.
 *
 * The services share one network namespace that has only a loopback interface (a `netns` service with
 * network_mode none; the others join it): the file's ports (5432, 6379, 9090, 9464) cannot collide with the
 * host's own PostgreSQL and Redis, and nothing gets an address outside loopback. Service names resolve to
 * 127.0.0.1 through that namespace's /etc/hosts, so deploy/compose/vitals.yaml is used as it is.
 */
const RUN = new Set(['vitals', 'postgres', 'redis', 'prometheus']);
const STANDIN: Record<string, string> = {
  postgres: 'mcp-vitals-standin/postgres',
  redis: 'mcp-vitals-standin/redis',
  prometheus: 'mcp-vitals-standin/prometheus',
};

const project = `mcpvitals${process.pid}`;
const token = randomBytes(24).toString('base64url');
const env = {
  VITALS_TOKEN_SHA256: createHash('sha256').update(token).digest('hex'),
  POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
  REDIS_PASSWORD: randomBytes(12).toString('hex'),
  GRAFANA_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
};
const compose = (file: string, ...args: string[]) =>
  run('docker-compose', ['--project-directory', ROOT, '-p', project, '-f', file, ...args], { env, timeoutMs: 300_000 });
const container = (service: string) => `${project}_${service}_1`;
/** GET from inside the stack's namespace (the Prometheus stand-in carries wget). */
const get = (url: string, headers: string[] = []) =>
  docker('exec', container('prometheus'), 'wget', '-q', '-O', '-', ...headers.flatMap((h) => ['--header', h]), url);
const vitalsFetch = (script: string) => docker('exec', container('vitals'), 'node', '-e', script);

function reducedStack(): string {
  const file = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, any> };
  const services: Record<string, any> = {
    netns: {
      image: 'mcp-vitals-standin/debian:bookworm',
      command: ['sleep', 'infinity'],
      network_mode: 'none',
      extra_hosts: Object.keys(file.services).map((s) => `${s}:127.0.0.1`),
    },
  };
  for (const [name, s] of Object.entries(file.services)) {
    if (!RUN.has(name)) continue;
    const { ports: _ports, build: _build, ...rest } = s;
    const svc = { ...rest, network_mode: 'service:netns', image: name === 'vitals' ? IMAGE : STANDIN[name] };
    if (svc.depends_on) svc.depends_on = Object.fromEntries(Object.entries(svc.depends_on).filter(([d]) => RUN.has(d)));
    // Jaeger is not run: spans would only be retried into nowhere.
    if (name === 'vitals') svc.environment = { ...svc.environment, OTEL_TRACES_EXPORTER: 'none' };
    services[name] = svc;
  }
  const dir = mkdtempSync(join(process.env.VITALS_CONTAINER_WORK ?? tmpdir(), 'compose-'));
  const path = join(dir, 'docker-compose.reduced.yml');
  writeFileSync(path, stringify({ ...file, services }));
  return path;
}

describe('docker-compose.yml', () => {
  it("is valid for Debian's docker-compose, whole (Grafana and Jaeger included)", () => {
    const r = compose(join(ROOT, 'docker-compose.yml'), 'config', '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const services = compose(join(ROOT, 'docker-compose.yml'), 'config', '--services').stdout.trim().split('\n').sort();
    const file = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, unknown>;
    };
    expect(services).toEqual(Object.keys(file.services).sort());
    expect(services).toEqual(expect.arrayContaining([...RUN, 'grafana', 'jaeger']));
  });

  it('refuses to start without its secrets', () => {
    const r = run(
      'docker-compose',
      ['--project-directory', ROOT, '-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'],
      { env: { ...env, POSTGRES_PASSWORD: '' } },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/POSTGRES_PASSWORD/);
  });
});

describe('the reduced stack up: vitals, PostgreSQL, Redis, Prometheus (stand-ins), deploy/compose config', () => {
  let file: string;
  let upStatus: number | null;
  let upLog = '';

  beforeAll(() => {
    file = reducedStack();
    const r = compose(file, 'up', '--detach', '--no-build');
    upStatus = r.status;
    upLog = r.stdout + r.stderr;
  });

  afterAll(() => {
    if (file) compose(file, 'down', '--volumes', '--timeout', '10');
  });

  const logs = () => compose(file, 'logs', '--no-color', '--tail', '30').stdout;

  it('comes up: docker-compose waits for every service_healthy dependency', () => {
    expect(upStatus, `${upLog}\n${logs()}`).toBe(0);
  });

  it('vitals starts only after PostgreSQL and Redis are healthy, then turns healthy itself', () => {
    const firstHealthy = (svc: string) => {
      const log = inspect<{ Log: { End: string; ExitCode: number }[] }>(container(svc), '{{json .State.Health}}').Log;
      const ok = log.find((l) => l.ExitCode === 0);
      expect(ok, `${svc} was healthy`).toBeTruthy();
      return Date.parse(ok!.End);
    };
    const started = Date.parse(inspect<string>(container('vitals'), '{{json .State.StartedAt}}'));
    expect(started).toBeGreaterThan(firstHealthy('postgres'));
    expect(started).toBeGreaterThan(firstHealthy('redis'));
    // Prometheus depends on vitals being healthy, so up -d returning means it was.
    expect(inspect<string>(container('vitals'), '{{json .State.Health.Status}}')).toBe('healthy');
  });

  it(
    'vitals is ready: its critical PostgreSQL and Redis checks pass against the stand-ins, with the passwords ' +
      'from .env',
    async () => {
      const readyz = await waitFor(
        () => {
          // ?verbose names the checks, so it wants the token (plain /readyz does not).
          const out = vitalsFetch(
            `fetch('http://127.0.0.1:9464/readyz?verbose', { headers: { authorization: 'Bearer ${token}' } ` +
              `}).then(async (r) => console.log(r.status + '\\n' + await r.text()))`,
          );
          return out.startsWith('200') ? out : undefined;
        },
        () => `vitals /readyz 200\n${logs()}`,
        60_000,
        2000,
      );
      expect(readyz).toMatch(/\[\+\]postgres ok/);
      expect(readyz).toMatch(/\[\+\]redis ok/);
    },
  );

  it('/mcp answers with the token whose SHA-256 is in .env, and not without', () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'compose', version: '1' } },
    });
    const call = (auth: string) =>
      vitalsFetch(
        `fetch('http://127.0.0.1:9464/mcp', { method: 'POST', headers: { 'content-type': 'application/json', ` +
          `accept: 'application/json, text/event-stream'${auth ? `, authorization: 'Bearer ${auth}'` : ''} }, ` +
          `body: ${JSON.stringify(body)} }).then((r) => console.log(r.status))`,
      );
    expect(call(token)).toBe('200');
    expect(call('')).toBe('401');
  });

  it('keeps history in PostgreSQL (history.store: postgres)', () => {
    const tables = docker(
      'exec',
      container('postgres'),
      'psql',
      '-U',
      'vitals',
      '-d',
      'vitals',
      '-At',
      '-c',
      "select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')",
    );
    expect(Number(tables)).toBeGreaterThan(0);
  });

  it('Prometheus loads alerts/ and scrapes vitals', async () => {
    const rules = JSON.parse(get('http://127.0.0.1:9090/api/v1/rules')) as {
      data: { groups: { file: string; rules: { name: string; type: string }[] }[] };
    };
    const loaded = rules.data.groups
      .flatMap((g) => g.rules.filter((r) => r.type === 'alerting').map((r) => r.name))
      .sort();
    const source = parseYaml(readFileSync(join(ROOT, 'alerts/vitals.rules.yml'), 'utf8')) as {
      groups: { rules: { alert?: string }[] }[];
    };
    expect(loaded).toEqual(source.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))).sort());
    expect(rules.data.groups.every((g) => g.file.startsWith('/etc/prometheus/rules/'))).toBe(true);

    const up = await waitFor(
      () => {
        const r = JSON.parse(get('http://127.0.0.1:9090/api/v1/query?query=up%7Bjob%3D%22mcp-vitals%22%7D')) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        return r.data.result.find((x) => x.value[1] === '1');
      },
      () => `up{job="mcp-vitals"} == 1\n${get('http://127.0.0.1:9090/api/v1/targets')}`,
      60_000,
      2000,
    );
    expect(up.metric.instance).toBe('vitals:9464');
    const checkUp = JSON.parse(get('http://127.0.0.1:9090/api/v1/query?query=vitals_check_up')) as {
      data: { result: { metric: Record<string, string> }[] };
    };
    expect(checkUp.data.result.map((r) => r.metric.check).sort()).toEqual(
      expect.arrayContaining(['postgres', 'redis']),
    );
  });
});
