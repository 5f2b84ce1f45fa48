import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Config, StaticToken } from '../../src/config/schema.js';
import { Authenticator } from '../../src/http/auth.js';
import { runCli, writeConfig } from '../support/cli.js';

const ROOT = new URL('../../', import.meta.url);
const README = readFileSync(new URL('README.md', ROOT), 'utf8');

describe('a new user (finding 10)', () => {
  it('config validate lists every unset ${VAR} with its key, and the schema errors beside them', async () => {
    const file = writeConfig(`
concurrency: 0
http:
  auth:
    jwt: { secret: "\${ABUSE_JWT_SECRET}", issuer: https://idp.test, audience: x }
checks:
  - { name: db, kind: postgres, url: "postgres://\${ABUSE_PG_USER}:\${ABUSE_PG_PASS}@db:5432/app" }
`);
    const r = await runCli(['config', 'validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/http\.auth\.jwt\.secret: environment variable ABUSE_JWT_SECRET is not set/);
    expect(r.stderr).toMatch(/checks\[0\]\(db\)\.url: environment variables ABUSE_PG_USER, ABUSE_PG_PASS are not set/);
    expect(r.stderr).toMatch(/concurrency: /);
    // No misleading complaint about the unexpanded secret's length.
    expect(r.stderr).not.toMatch(/32 characters/);
  });

  it('token new --scopes a,b --expires-in 90d prints an entry the config accepts', async () => {
    const r = await runCli(['token', 'new', 'ci-bot', '--scopes', 'vitals:read,refresh', '--expires-in', '90d']);
    expect(r.code).toBe(0);
    const entry = /^\s*- (\{.*\})$/m.exec(r.stdout)![1]!;
    const yaml = await import('yaml');
    const parsed = StaticToken.parse(yaml.parse(entry));
    expect(parsed.scopes).toEqual(['vitals:read', 'vitals:refresh']);
    const ahead = Date.parse(parsed.expires!) - Date.now();
    expect(ahead).toBeGreaterThan(89.9 * 86_400_000);
    expect(ahead).toBeLessThan(90.1 * 86_400_000);
  });

  it('token new with a bad scope, duration or option says so in one line, no Node error text', async () => {
    for (const [args, message] of [
      [['--scopes', 'x'], /unknown scope "vitals:x"; choose from vitals:read/],
      [['--expires-in', 'soon'], /--expires-in "soon" must be a duration/],
      [['bad subject!'], /subject "bad subject!" must be/],
      [['--bogus'], /unknown option --bogus/],
    ] as const) {
      const r = await runCli(['token', 'new', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(/ERR_|at .*\.js|place it at the end/);
    }
  });

  it('an expired static token is refused like any invalid one', async () => {
    const { createHash } = await import('node:crypto');
    const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');
    const auth = new Authenticator({
      tokens: [
        StaticToken.parse({ subject: 'old', sha256: sha256('old-token'), expires: '2020-01-01T00:00:00Z' }),
        StaticToken.parse({ subject: 'new', sha256: sha256('new-token'), expires: '2999-01-01T00:00:00Z' }),
      ],
      authorizationServers: [],
    });
    expect(await auth.authenticate('Bearer old-token')).toMatchObject({
      ok: false,
      reason: 'invalid',
      description: 'token expired',
    });
    expect(await auth.authenticate('Bearer new-token')).toMatchObject({
      ok: true,
      principal: { subject: 'new', expiresAt: Math.floor(Date.parse('2999-01-01T00:00:00Z') / 1000) },
    });
  });

  it('no installed dependency demands a newer Node than our engines field (no EBADENGINE on npm ci)', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { engines: { node: string } };
    const ours = Number(/>=\s*(\d+)/.exec(pkg.engines.node)![1]);
    const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string }; dev?: boolean; optional?: boolean }>;
    };
    const demanding = Object.entries(lock.packages)
      .filter(([path, p]) => path && !p.optional && typeof p.engines?.node === 'string')
      .filter(([, p]) => {
        // Every alternative (a || b) must allow some Node `ours` or earlier; ">=N" and "^N" read as N.
        const alternatives = p.engines!.node!.split('||').map((a) => Number(/(\d+)/.exec(a)?.[1] ?? 0));
        return alternatives.every((min) => min > ours);
      })
      .map(([path, p]) => `${path} (${p.engines!.node})`);
    expect(demanding).toEqual([]);
  });

  it('the README states the schema defaults and needs it documents', () => {
    expect(Number(/^\s*maxSeries: (\d+)/m.exec(README)![1])).toBe(Config.parse({}).history.maxSeries);
    expect(README).toMatch(/`openssl`/);
  });
});
