import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/shared/errors.js';

function issues(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config defaults', () => {
  it('runs with no file at all', () => {
    const { config, source } = loadConfig({ env: {} });
    expect(source).toBeUndefined();
    expect(config.checks).toEqual([]);
    expect(config.host.interval).toBe(5000);
    expect(config.http.listen).toBe('127.0.0.1:9464');
    expect(config.host.thresholds.cpu).toEqual({ warn: 0.85, fail: 0.95, for: 60_000 });
    expect(config.host.thresholds.memory).toMatchObject({ warn: 0.8, fail: 0.9 });
    expect(config.host.thresholds.disk).toMatchObject({ warn: 0.85, fail: 0.95 });
    expect(config.host.thresholds.toolErrorRate).toMatchObject({ warn: 0.05, fail: 0.1, window: 300_000 });
  });

  it('fills dependency defaults (timeout 5s, thresholds 3/2)', () => {
    const c = parseConfigText('checks:\n  - { name: db, kind: postgres, url: "postgres://localhost/x" }\n', {});
    expect(c.checks[0]).toMatchObject({ timeout: 5000, failureThreshold: 3, successThreshold: 2, critical: false });
  });

  it('reads JSON as well as YAML, and VITALS_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ host: { interval: '10s' } }));
    expect(loadConfig({ env: { VITALS_CONFIG: file } }).config.host.interval).toBe(10_000);
  });

  it('expands variables from the environment', () => {
    const c = parseConfigText('checks:\n  - name: db\n    kind: postgres\n    url: postgres://u:${PW}@h/d\n', {
      PW: 'x',
    });
    expect(c.checks[0]).toMatchObject({ url: 'postgres://u:x@h/d' });
  });
});

describe('config errors name the key path', () => {
  it('bad duration and unknown key inside a named check', () => {
    expect(
      issues(
        'checks:\n  - name: orders\n    kind: postgres\n    url: postgres://h/d\n    timeout: 5 sec\n    retires: 3\n',
      ),
    ).toEqual([
      'checks[0](orders).timeout: invalid duration "5 sec" (expected e.g. "500ms", "5s", "2m", "1h")',
      'checks[0](orders): unknown key "retires"',
    ]);
  });
  it('thresholds out of order and out of range', () => {
    expect(issues('host:\n  thresholds:\n    cpu: { warn: 0.9, fail: 0.8 }\n')).toEqual([
      'host.thresholds.cpu.warn: warn must not be above fail',
    ]);
    expect(issues('host:\n  thresholds:\n    memory: { warn: 80 }\n')[0]).toMatch(
      /^host\.thresholds\.memory\.warn: ratio 80 is outside 0\.\.1/,
    );
  });
  it('unknown kind, duplicate names, missing target', () => {
    expect(issues('checks:\n  - { name: a, kind: mongo }\n')[0]).toMatch(/^checks\[0\]\(a\)\.kind: /);
    expect(
      issues('checks:\n  - { name: a, kind: tcp, host: h, port: 1 }\n  - { name: a, kind: tcp, host: h, port: 2 }\n'),
    ).toEqual(['checks[1](a).name: duplicate check name "a" (also checks[0])']);
    expect(issues('checks:\n  - { name: a, kind: redis }\n')).toEqual(['checks[0](a).url: needs `url` or `instances`']);
  });
  it('missing variable', () => {
    expect(issues('checks:\n  - { name: a, kind: redis, url: "redis://:${REDIS_PW}@h" }\n')).toEqual([
      'checks[0](a).url: environment variable REDIS_PW is not set (use ${REDIS_PW:-default} for a fallback)',
    ]);
  });
  it('invalid YAML says where', () => {
    expect(issues('host: [\n')[0]).toMatch(/^line \d+, column \d+: not valid YAML/);
  });
  it('never echoes a secret value back', () => {
    const msgs = issues(
      'checks:\n  - name: a\n    kind: http\n    url: "not a url with hunter2"\n    headers: { Authorization: 5 }\n',
    ).join('\n');
    expect(msgs).not.toContain('hunter2');
    expect(msgs).toMatch(/checks\[0\]\(a\)\.url/);
  });
  it('a missing file is a config error', () => {
    expect(() => loadConfig({ path: '/nonexistent/vitals.yaml' })).toThrow(ConfigError);
  });
});

describe('connection URLs', () => {
  it('a postgres or redis URL that does not parse is a config error that does not repeat it', () => {
    const msgs = issues(
      'checks:\n  - { name: a, kind: redis, url: "http://%zz-secret" }\n  - { name: b, kind: postgres, url: ' +
        '"redis://h" }\n',
    );
    expect(msgs).toEqual([
      'checks[0](a).url: not a valid URL (expected redis://:password@host:6379/0)',
      'checks[1](b).url: not a valid URL (expected postgres://user:password@host:5432/db)',
    ]);
  });
});
