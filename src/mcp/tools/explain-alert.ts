import { z } from 'zod';
import { formatDuration } from '../../shared/duration.js';
import { InstanceArg, WindowArg, WINDOW_MAX_MS } from '../../config/limits.js';
import { explainAlert, type RuleExplanation } from '../../fleet/explain.js';
import { parseRange } from '../../fleet/time.js';
import { fitText, fleetError, labelText, relative, requireFleet } from './fleet-common.js';
import { defineTool, READ_ONLY } from './types.js';

const Labels = z.record(z.string(), z.string());
/** Characters of text at most; the structured content has everything within `limit`. */
const TEXT_BUDGET = 3500;
const num = (v: number) => +v.toPrecision(4);
const at = (now: number, iso: string | null) => (iso ? `${iso} (${relative(now, iso)})` : 'unknown');

function episodeText(h: {
  labels: Record<string, string>;
  pendingAt?: string | null;
  firingAt?: string | null;
  endedAt?: string | null;
}): string {
  return (
    `${h.labels.instance ?? '?'}${labelText(h.labels) ? ` ${labelText(h.labels)}` : ''}` +
    ` pending ${h.pendingAt ?? 'before the window'}, ${h.firingAt ? `firing ${h.firingAt}` : 'never fired'}, ` +
    (h.endedAt ? `ended ${h.endedAt}` : 'still active')
  );
}

function ruleLines(r: RuleExplanation, now: number): string[] {
  const c = r.condition;
  const out = [
    `rule (group ${r.group}, for ${formatDuration(r.forSeconds * 1000)}` +
      `${r.labels.severity ? `, severity ${r.labels.severity}` : ''}` +
      `${r.health !== 'ok' ? `, health ${r.health}${r.lastError ? `: ${r.lastError}` : ''}` : ''}` +
      `): ${r.expr.replace(/\s+/g, ' ').trim()}`,
    c.op
      ? `threshold: ${c.lhs} ${c.op} ${c.threshold ?? c.rhs}` +
        (c.conditions.length ? `; only where also: ${c.conditions.join(' ').replace(/\s+/g, ' ')}` : '')
      : 'threshold: none (the alert fires for every series the expression returns)',
  ];
  if (r.currentTotal) {
    const shown = r.current.map(
      (v) =>
        `${v.labels.instance ?? '?'}${labelText(v.labels) ? ` ${labelText(v.labels)}` : ''} = ${num(v.value)}` +
        `${v.breaching ? ' (breaching)' : ''}`,
    );
    out.push(
      `now: ${r.breachingTotal} of ${r.currentTotal} series breach; ${shown.join('; ')}` +
        (r.currentTotal > shown.length ? `; … ${r.currentTotal - shown.length} more` : ''),
    );
  } else out.push('now: the compared expression returns no series');
  for (const a of r.active) {
    out.push(
      `${a.state.toUpperCase()} on ${a.labels.instance ?? '?'}${labelText(a.labels) ? ` ${labelText(a.labels)}` : ''}` +
        `: pending since ${at(now, a.activeAt)}` +
        (a.state === 'firing'
          ? `, firing since ${at(now, a.firingAt)}`
          : `, fires after ${formatDuration(r.forSeconds * 1000)} if it holds`) +
        `${a.value !== null ? `, value ${num(a.value)}` : ''}${a.summary ? ` — ${a.summary}` : ''}`,
    );
  }
  const notes = ['summary', 'description', 'runbook_url']
    .filter((k) => r.annotations[k])
    .map((k) => `${k}: ${r.annotations[k]!.replace(/\s+/g, ' ').slice(0, 300)}`);
  return [...out, ...notes];
}

export const explainAlertTool = defineTool({
  name: 'explain_alert',
  title: 'Explain alert',
  description:
    'Why an alert fires, in one answer: its rule (expression, for:, the threshold it encodes), the current ' +
    'value of the compared ' +
    'expression per instance (breaching ones first), when it went pending and firing on each instance over ' +
    'the window (from ALERTS ' +
    'and ALERTS_FOR_STATE, and Alertmanager), the mcp-vitals checks it is about and their status now, and its ' +
    'summary/runbook ' +
    'annotations. Give the alert name as list_alerts shows it.',
  input: z.object({
    name: z.string().min(1).max(200).describe('Alert name, e.g. "VitalsDependencyDown".'),
    window: WindowArg.default('1h').describe('History to look at back from `to`: "15m", "6h", "7d".'),
    from: z
      .string()
      .max(64)
      .optional()
      .describe('Start instead of window: ISO-8601, Unix seconds, "now-6h" or "-30m".'),
    to: z.string().max(64).optional().describe('End of the window (default now), same forms.'),
    instance: InstanceArg.optional().describe('Only this instance.'),
    limit: z.number().int().min(1).max(50).default(10).describe('Series, alerts and episodes shown at most.'),
  }),
  output: z.object({
    name: z.string(),
    from: z.string(),
    to: z.string(),
    rules: z.array(
      z.object({
        group: z.string(),
        file: z.string(),
        expr: z.string(),
        forSeconds: z.number(),
        labels: Labels,
        annotations: Labels.describe('as written in the rule (templates); rendered ones are on each active alert'),
        health: z.string(),
        lastError: z.string().nullable(),
        condition: z.object({
          lhs: z.string().describe('the compared expression'),
          op: z.enum(['>', '<', '>=', '<=', '==', '!=']).nullable(),
          rhs: z.string().nullable(),
          threshold: z.number().nullable().describe('the right-hand side when it is a constant'),
          conditions: z.array(z.string()).describe('and/or/unless clauses beside the comparison'),
        }),
        current: z
          .array(z.object({ labels: Labels, value: z.number(), breaching: z.boolean().nullable() }))
          .describe('the compared expression now, breaching first'),
        currentTotal: z.number().int(),
        breachingTotal: z.number().int(),
        active: z.array(
          z.object({
            labels: Labels,
            state: z.string(),
            activeAt: z.string().nullable().describe('pending since'),
            firingAt: z.string().nullable(),
            value: z.number().nullable(),
            summary: z.string().nullable(),
          }),
        ),
      }),
    ),
    history: z.array(
      z.object({
        labels: z.record(z.string(), z.string()),
        pendingAt: z.string().nullable(),
        firingAt: z.string().nullable(),
        endedAt: z.string().nullable(),
      }),
    ),
    historyStepSeconds: z.number(),
    related: z.array(z.object({ instance: z.string(), check: z.string(), status: z.string() })),
  }),
  annotations: { title: 'Explain alert', ...READ_ONLY, openWorldHint: true },
  async run(args, { fleet }) {
    const f = requireFleet(fleet);
    try {
      const now = Date.now();
      const { from, to } = parseRange(args, now, 3_600_000, WINDOW_MAX_MS);
      const x = await explainAlert(f, args.name, { from, to, limit: args.instance ? 200 : args.limit });
      if (args.instance) {
        const mine = <T extends { labels: Record<string, string> }>(l: T[]) =>
          l.filter((v) => v.labels.instance === args.instance).slice(0, args.limit);
        for (const r of x.rules) {
          r.current = mine(r.current);
          r.currentTotal = r.current.length;
          r.breachingTotal = r.current.filter((v) => v.breaching).length;
          r.active = mine(r.active);
        }
        x.history = mine(x.history);
        x.related = x.related.filter((r) => r.instance === args.instance);
      }
      const lines = [
        `${x.name}: ${x.rules.length} rule(s); window ${new Date(from).toISOString()}` +
          ` to ${new Date(to).toISOString()}.`,
      ];
      for (const r of x.rules) lines.push(...ruleLines(r, now));
      lines.push(
        x.history.length
          ? `history (${x.historyStepSeconds}s steps): ${x.history.map(episodeText).join('; ')}`
          : 'history: not pending or firing in the window',
      );
      if (x.related.length)
        lines.push(`related checks now: ${x.related.map((r) => `${r.check} on ${r.instance} ${r.status}`).join(', ')}`);
      return {
        text: fitText(
          lines[0]!,
          lines.slice(1),
          0,
          TEXT_BUDGET,
          (n) => `… ${n} more line(s) in the structured content (narrow with instance or limit).`,
        ),
        data: {
          name: x.name,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          rules: x.rules,
          history: x.history,
          historyStepSeconds: x.historyStepSeconds,
          related: x.related,
        },
      };
    } catch (e) {
      fleetError(e);
    }
  },
});
