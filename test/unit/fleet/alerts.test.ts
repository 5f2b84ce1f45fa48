import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertEpisodes, constantValue, parseRuleCondition, relatedChecks } from '../../../src/fleet/alerts.js';
import { ROOT } from '../../support/paths.js';

describe('parseRuleCondition', () => {
  it.each([
    ['up{job=~".*mcp-vitals.*"} == 0', { lhs: 'up{job=~".*mcp-vitals.*"}', op: '==', threshold: 0, conditions: [] }],
    ['instance:system_cpu_busy:ratio > 0.85', { lhs: 'instance:system_cpu_busy:ratio', op: '>', threshold: 0.85 }],
    [
      'vitals_cert_expiry_timestamp_seconds - time() < 14 * 86400',
      { lhs: 'vitals_cert_expiry_timestamp_seconds - time()', op: '<', threshold: 1_209_600 },
    ],
    ['(rate(x_total[5m]) >= 3)', { lhs: 'rate(x_total[5m])', op: '>=', threshold: 3 }],
    ['0.9 < foo', { lhs: 'foo', op: '>', threshold: 0.9 }],
    ['foo > bool 1', { lhs: 'foo', op: '>', threshold: 1 }],
    ['foo{a!="b",c=~"x>y"} != 1', { lhs: 'foo{a!="b",c=~"x>y"}', op: '!=', threshold: 1 }],
    ['a / b > c', { lhs: 'a / b', op: '>', rhs: 'c', threshold: null }],
    ['absent(up{job="x"})', { lhs: 'absent(up{job="x"})', op: null, threshold: null }],
    [
      'sum by (job, instance) (increase(vitals_check_runs_total[5m])) == 0',
      { lhs: 'sum by (job, instance) (increase(vitals_check_runs_total[5m]))', op: '==', threshold: 0 },
    ],
  ])('%s', (expr, want) => expect(parseRuleCondition(expr)).toMatchObject(want));

  it('keeps and/unless clauses apart from the compared expression', () => {
    const c = parseRuleCondition('a:ratio > 0.60\nand on (job, instance) predict_linear(b[6h], 86400) < 0\nunless c');
    expect(c).toMatchObject({ lhs: 'a:ratio', op: '>', threshold: 0.6 });
    expect(c.conditions).toEqual(['and on (job, instance) predict_linear(b[6h], 86400) < 0', 'unless c']);
  });

  it('does not split inside names such as `errors_and_more` or in label values', () => {
    expect(parseRuleCondition('errors_and_more{x="a and b"} > 1')).toMatchObject({
      lhs: 'errors_and_more{x="a and b"}',
      threshold: 1,
      conditions: [],
    });
  });

  it('reads a threshold out of every alerting rule the repo ships', () => {
    const doc = parse(readFileSync(`${ROOT}/alerts/vitals.rules.yml`, 'utf8')) as {
      groups: { rules: { alert?: string; expr: string }[] }[];
    };
    const rules = doc.groups.flatMap((g) => g.rules.filter((r) => r.alert));
    expect(rules.length).toBeGreaterThan(10);
    for (const r of rules) {
      const c = parseRuleCondition(r.expr);
      expect(c.op, r.alert).not.toBeNull();
      expect(c.threshold, `${r.alert}: ${r.expr}`).toEqual(expect.any(Number));
    }
  });
});

describe('constantValue', () => {
  it.each([
    ['14 * 86400', 1_209_600],
    ['0.85', 0.85],
    ['-1', -1],
    ['(2 + 3) * 4', 20],
    ['1e3', 1000],
    ['10 / 4', 2.5],
  ])('%s', (text, v) => expect(constantValue(text)).toBe(v));
  it.each(['x', 'time()', '1 +', '(1', '2 * (3'])('%j is not constant', (text) =>
    expect(constantValue(text)).toBeNull(),
  );
});

describe('alertEpisodes', () => {
  const labels = { alertname: 'X', instance: 'a:1' };
  const at = (sec: number): [number, string] => [sec, '1'];

  it('finds when each label set went pending, fired and ended', () => {
    const episodes = alertEpisodes(
      [
        { metric: { __name__: 'ALERTS', alertstate: 'pending', ...labels }, values: [at(100), at(105), at(110)] },
        { metric: { __name__: 'ALERTS', alertstate: 'firing', ...labels }, values: [at(115), at(120)] },
      ],
      5000,
      200_000,
    );
    expect(episodes).toEqual([{ labels, pendingAt: 100_000, firingAt: 115_000, endedAt: 125_000 }]);
  });

  it('splits episodes at gaps and leaves the last one open when it runs to the end', () => {
    const episodes = alertEpisodes(
      [{ metric: { alertstate: 'pending', ...labels }, values: [at(10), at(15), at(50), at(55)] }],
      5000,
      55_000,
    );
    expect(episodes).toEqual([
      { labels, pendingAt: 50_000, firingAt: null, endedAt: null },
      { labels, pendingAt: 10_000, firingAt: null, endedAt: 20_000 },
    ]);
  });

  it('keeps label sets apart', () => {
    const other = { ...labels, instance: 'b:1' };
    const episodes = alertEpisodes(
      [
        { metric: { alertstate: 'firing', ...labels }, values: [at(10)] },
        { metric: { alertstate: 'firing', ...other }, values: [at(20)] },
      ],
      5000,
      20_000,
    );
    expect(episodes.map((e) => e.labels.instance)).toEqual(['b:1', 'a:1']);
    expect(episodes[1]).toMatchObject({ pendingAt: null, firingAt: 10_000 });
  });
});

describe('relatedChecks', () => {
  it('maps alerts to the daemon checks they are about', () => {
    expect(relatedChecks('vitals_check_status{critical="true"} == 2', { check: 'db' })).toEqual(['db']);
    expect(relatedChecks('instance:system_cpu_busy:ratio > 0.85', {})).toEqual(['cpu']);
    expect(
      relatedChecks('instance_mountpoint:system_filesystem_used:ratio > 0.85', {
        system_filesystem_mountpoint: '/var',
      }),
    ).toEqual(['disk:/var']);
    expect(relatedChecks('up == 0', {})).toEqual([]);
  });
});
