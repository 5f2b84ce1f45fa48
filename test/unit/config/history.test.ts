import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/shared/errors.js';

const issues = (doc: unknown) => {
  try {
    parseConfig(doc, {});
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
};

describe('history config', () => {
  it('defaults to the memory store with its retention', () => {
    const c = parseConfig({}, {});
    expect(c.history).toMatchObject({
      store: 'memory',
      schema: 'vitals',
      maxSeries: 500,
      retention: { raw: 3_600_000, minute: 86_400_000, quarter: 604_800_000 },
    });
  });

  it('postgres gets longer retention by default, durations parse, and a given value wins', () => {
    const c = parseConfig(
      {
        history: {
          store: 'postgres',
          url: 'postgres://u:${PW}@db:5432/vitals',
          flushInterval: '5s',
          retention: { raw: '12h' },
        },
      },
      { PW: 'secret' },
    );
    expect(c.history.url).toBe('postgres://u:secret@db:5432/vitals');
    expect(c.history.flushInterval).toBe(5000);
    expect(c.history.retention).toEqual({
      raw: 43_200_000,
      minute: 1_209_600_000,
      quarter: 7_776_000_000,
      events: 7_776_000_000,
    });
  });

  it('names the key of each mistake', () => {
    expect(issues({ history: { store: 'postgres' } })).toEqual(['history.url: `store: postgres` needs `url`']);
    expect(issues({ history: { retention: { raw: '2d' } } })).toEqual([
      'history.retention.raw: raw retention must not be longer than minute retention',
    ]);
    expect(issues({ history: { schema: 'Bad-Name' } })[0]).toMatch(/^history\.schema: /);
    expect(issues({ history: { jobs: { downsample: 'every minute' } } })).toEqual([
      'history.jobs.downsample: invalid cron expression',
    ]);
    expect(issues({ history: { stor: 'memory' } })).toEqual(['history: unknown key "stor"']);
  });
});
