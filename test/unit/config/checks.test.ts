import { describe, expect, it } from 'vitest';
import { CheckConfig } from '../../../src/config/checks.js';
import { dependencyKinds } from '../../../src/monitor/dependency-kinds.js';
import { dependencyKindList } from '../../../src/probes/registry.js';

const messages = (raw: unknown) => {
  const r = CheckConfig.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('dependency check config, built from the kinds in the registry', () => {
  it('knows every registered kind, and each kind has a loader', () => {
    for (const { kind } of dependencyKindList) {
      expect(CheckConfig.options.some((o) => o.shape.kind.value === kind)).toBe(true);
      expect(typeof dependencyKinds[kind]).toBe('function');
    }
    expect(messages({ name: 'x', kind: 'smtp', url: 'smtp://h' })[0]).toMatch(/^kind: /);
  });

  it('asks for the target fields or instances, naming them', () => {
    expect(messages({ name: 'a', kind: 'postgres' })).toEqual(['url: needs `url` or `instances`']);
    expect(messages({ name: 'a', kind: 'tcp', host: 'h' })).toEqual(['host: needs `host` and `port`, or `instances`']);
    expect(messages({ name: 'a', kind: 'tcp', instances: [{ host: 'h', port: 1 }] })).toEqual([]);
    expect(messages({ name: 'a', kind: 'tcp', instances: [{ host: 'h' }] })[0]).toMatch(/^instances\.0\.port: /);
  });

  it("applies each kind's defaults and keeps the common ones", () => {
    const pg = CheckConfig.parse({ name: 'db', kind: 'postgres', url: 'postgres://u@h/d' });
    expect(pg).toMatchObject({
      timeout: 5000,
      failureThreshold: 3,
      connections: { warn: 0.8, fail: 0.95 },
      replicationLag: { warn: 30_000, fail: 300_000 },
    });
    const http = CheckConfig.parse({ name: 'api', kind: 'http', url: 'https://x/' });
    expect(http).toMatchObject({ method: 'GET', expectStatus: ['2xx'], tls: { certWarnDays: 14 } });
    expect(messages({ name: 'db', kind: 'redis', url: 'redis://h', connections: {} })[0]).toMatch(/unrecognized/i);
  });
});
