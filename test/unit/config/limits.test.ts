import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/shared/errors.js';

const issues = (doc: unknown) => {
  try {
    parseConfig(doc, {});
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
};

describe('limits and duration bounds in the config', () => {
  it('the limits section has defaults and rejects unknown keys and out-of-range values', () => {
    expect(parseConfig({}, {}).limits).toEqual({
      messageBytes: 4 * 1024 * 1024,
      batchSize: 100,
      pendingRequests: 100,
      subscriptionsPerSession: 100,
      subscriptionsPerPrincipal: 1000,
      uriBytes: 2048,
      eventStreams: 100,
      eventStreamsPerPrincipal: 10,
      invalidTokensPerMinute: 100,
    });
    expect(
      issues({ limits: { batchSize: 0, nope: 1 } })
        .map((i) => i.path)
        .sort(),
    ).toEqual(['limits', 'limits.batchSize']);
  });

  it('a duration that becomes a timer is at most 24.8 days; other durations at most ten years', () => {
    expect(issues({ checks: [{ name: 'db', kind: 'tcp', host: 'h', port: 1, every: '30d' }] })).toEqual([
      { path: 'checks[0](db).every', message: expect.stringMatching(/at most 24d20h31m23s/) },
    ]);
    expect(issues({ http: { sessions: { idleTimeout: '25d' } } })[0]?.path).toBe('http.sessions.idleTimeout');
    expect(
      parseConfig({ history: { retention: { quarter: '365d', minute: '30d', raw: '2d' } } }, {}).history.retention
        .quarter,
    ).toBe(365 * 86_400_000);
    expect(issues({ history: { retention: { quarter: '99999d' } } })[0]?.message).toMatch(/longer than 3660d/);
  });
});
