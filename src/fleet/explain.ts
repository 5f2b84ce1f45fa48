import type { CheckStatus } from '../monitor/schema.js';
import { VERDICTS } from '../shared/status.js';
import { alertEpisodes, parseRuleCondition, relatedChecks, type AlertEpisode, type RuleCondition } from './alerts.js';
import { FleetError } from './http.js';
import type { Fleet } from './index.js';
import { promAnyOf, promString, type AlertingRule } from './prometheus.js';

interface InstanceValue {
  labels: Record<string, string>;
  value: number;
  /** True when the value meets the rule's comparison (the alert is pending or firing for it). */
  breaching: boolean | null;
}

export interface RuleExplanation {
  group: string;
  file: string;
  expr: string;
  forSeconds: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  health: string;
  lastError: string | null;
  condition: RuleCondition;
  /** The compared expression now, worst first (breaching ones first), at most `limit`. */
  current: InstanceValue[];
  currentTotal: number;
  breachingTotal: number;
  active: {
    labels: Record<string, string>;
    state: string;
    activeAt: string | null;
    firingAt: string | null;
    value: number | null;
    summary: string | null;
  }[];
}

export interface AlertExplanation {
  name: string;
  rules: RuleExplanation[];
  /** Pending/firing stretches over the window, newest first. */
  history: (Omit<AlertEpisode, 'pendingAt' | 'firingAt' | 'endedAt'> & {
    pendingAt: string | null;
    firingAt: string | null;
    endedAt: string | null;
  })[];
  historyStepSeconds: number;
  related: { instance: string; check: string; status: CheckStatus | 'unknown' }[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function compare(op: RuleCondition['op'], v: number, t: number | null): boolean | null {
  if (op === null || t === null) return null;
  switch (op) {
    case '>':
      return v > t;
    case '<':
      return v < t;
    case '>=':
      return v >= t;
    case '<=':
      return v <= t;
    case '==':
      return v === t;
    case '!=':
      return v !== t;
  }
}

/**
 * Everything about one alert in one answer: its rule(s) (expression, `for:`, threshold), the compared value
 * per instance now, when it went pending and firing over the window (ALERTS and ALERTS_FOR_STATE ranges, and
 * Alertmanager's startsAt where it has the alert), the daemon checks it is about and their status now.
 */
export async function explainAlert(
  fleet: Fleet,
  name: string,
  options: { from: number; to: number; limit: number },
): Promise<AlertExplanation> {
  const prom = fleet.requirePrometheus();
  const groups = await prom.rules('alert');
  const rules: { group: string; file: string; rule: AlertingRule }[] = [];
  for (const g of groups)
    for (const r of g.rules)
      if (r.type === 'alerting' && r.name === name) rules.push({ group: g.name, file: g.file, rule: r });
  if (!rules.length) {
    const known = [
      ...new Set(groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting').map((r) => r.name))),
    ].sort();
    throw new FleetError(
      'FLEET_UNKNOWN_NAME',
      `no alerting rule named "${name}". Known (${known.length}): ${known.slice(0, 60).join(', ')}` +
        `${known.length > 60 ? ', …' : ''}`,
    );
  }
  const windowMs = options.to - options.from;
  const stepMs = Math.max(1000, Math.ceil(windowMs / 240 / 1000) * 1000);
  const sel = `alertname=${promString(name)}`;
  const [alertsRange, forState, amAlerts] = await Promise.all([
    prom.queryRange(`ALERTS{${sel}}`, options.from, options.to, stepMs),
    prom.queryRange(`ALERTS_FOR_STATE{${sel}}`, options.from, options.to, stepMs),
    fleet.alertmanager?.alerts({ filter: [`alertname=${promString(name)}`] }).catch(() => undefined),
  ]);
  const episodes = alertEpisodes(alertsRange, stepMs, options.to);
  // ALERTS_FOR_STATE's value is the exact activeAt of the episode it was written in.
  for (const e of episodes) {
    const s = forState.find((f) => Object.entries(e.labels).every(([k, v]) => f.metric[k] === v));
    if (!s) continue;
    const start = e.pendingAt ?? e.firingAt ?? 0;
    const within = s.values.filter(
      ([t]) => t * 1000 >= start - stepMs && (e.endedAt === null || t * 1000 <= e.endedAt),
    );
    const activeAt = within.length ? Number(within[0]![1]) * 1000 : NaN;
    if (Number.isFinite(activeAt) && activeAt > 0) e.pendingAt = activeAt;
  }

  // Where the rules API has the alert active, its activeAt is exact to the millisecond (ALERTS_FOR_STATE keeps
  // seconds).
  for (const { rule } of rules) {
    for (const a of rule.alerts) {
      const e = episodes.find(
        (x) => x.endedAt === null && Object.entries(x.labels).every(([k, v]) => a.labels[k] === v),
      );
      if (e && a.activeAt) e.pendingAt = Date.parse(a.activeAt);
    }
  }

  const explained: RuleExplanation[] = [];
  for (const { group, file, rule } of rules) {
    const condition = parseRuleCondition(rule.query);
    const values = await prom.query(condition.lhs, options.to).catch(() => []);
    const rows = values.map((s) => {
      const v = Number(s.value[1]);
      const { __name__: _n, ...labels } = s.metric;
      return { labels, value: v, breaching: compare(condition.op, v, condition.threshold) };
    });
    const up = condition.op === '<' || condition.op === '<=';
    rows.sort(
      (a, b) => Number(b.breaching ?? 0) - Number(a.breaching ?? 0) || (up ? a.value - b.value : b.value - a.value),
    );
    explained.push({
      group,
      file,
      expr: rule.query,
      forSeconds: rule.duration,
      labels: rule.labels ?? {},
      annotations: rule.annotations ?? {},
      health: rule.health,
      lastError: rule.lastError || null,
      condition,
      current: rows.slice(0, options.limit),
      currentTotal: rows.length,
      breachingTotal: rows.filter((r) => r.breaching).length,
      active: rule.alerts.slice(0, options.limit).map((a) => {
        const am = amAlerts?.find((x) => Object.entries(a.labels).every(([k, v]) => x.labels[k] === v));
        const ep = episodes.find(
          (e) => Object.entries(e.labels).every(([k, v]) => a.labels[k] === v) && e.endedAt === null,
        );
        const value = Number(a.value);
        return {
          labels: a.labels,
          state: a.state,
          activeAt: a.activeAt ?? null,
          // Alertmanager's startsAt is Prometheus' FiredAt; otherwise the first ALERTS sample seen firing.
          firingAt: a.state === 'firing' ? (am?.startsAt ?? iso(ep?.firingAt ?? null)) : null,
          value: Number.isFinite(value) ? value : null,
          summary: a.annotations.summary ?? null,
        };
      }),
    });
  }

  // The daemon checks behind the alert, for the instances it is (or was) active on.
  const pairs = new Map<string, Set<string>>();
  const add = (labels: Record<string, string>, expr: string) => {
    if (!labels.instance) return;
    for (const c of relatedChecks(expr, labels))
      (pairs.get(labels.instance) ?? pairs.set(labels.instance, new Set()).get(labels.instance)!).add(c);
  };
  for (const r of explained) {
    for (const a of r.active) add(a.labels, r.expr);
    for (const v of r.current.filter((x) => x.breaching)) add(v.labels, r.expr);
  }
  for (const e of episodes.slice(0, options.limit)) add(e.labels, rules[0]!.rule.query);
  const related: AlertExplanation['related'] = [];
  const instances = [...pairs.keys()].slice(0, options.limit);
  if (instances.length) {
    const checks = [...new Set(instances.flatMap((i) => [...pairs.get(i)!]))];
    const rows = await prom
      .query(`vitals_check_status{instance=~${promAnyOf(instances)},check=~${promAnyOf(checks)}}`, options.to)
      .catch(() => []);
    for (const i of instances) {
      for (const c of pairs.get(i)!) {
        const r = rows.find((x) => x.metric.instance === i && x.metric.check === c);
        related.push({
          instance: i,
          check: c,
          status: r ? (VERDICTS[Math.round(Number(r.value[1]))] ?? 'unknown') : 'unknown',
        });
      }
    }
  }
  return {
    name,
    rules: explained,
    history: episodes.slice(0, options.limit).map((e) => ({
      labels: e.labels,
      pendingAt: iso(e.pendingAt),
      firingAt: iso(e.firingAt),
      endedAt: iso(e.endedAt),
    })),
    historyStepSeconds: stepMs / 1000,
    related,
  };
}
