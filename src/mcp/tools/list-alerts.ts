import { z } from 'zod';
import { InstanceArg } from '../../config/limits.js';
import { activeAlerts, type ActiveAlert } from '../../fleet/active.js';
import { fitText, fleetError, labelText, relative, requireFleet } from './fleet-common.js';
import { defineTool, READ_ONLY } from './types.js';

/** Characters of text at most; the structured content has every alert within `limit`. */
const TEXT_BUDGET = 3000;

const silenceComment = (comment: string | undefined) => (comment ? ` "${comment.slice(0, 60)}"` : '');

function line(a: ActiveAlert, now: number): string {
  const labels = labelText(a.labels);
  const when =
    a.state === 'pending'
      ? `pending since ${relative(now, a.since)}`
      : `active since ${relative(now, a.since)}` +
        (a.firingSince && a.firingSince !== a.since ? `, firing since ${relative(now, a.firingSince)}` : '');
  const silencers = a.silencedBy.map((s) => `${s.createdBy} until ${s.endsAt}${silenceComment(s.comment)}`);
  const silenced = a.silencedBy.length ? ` [silenced by ${silencers.join('; ')}]` : '';
  return (
    `${a.state.toUpperCase()} ${a.name}${a.severity ? ` ${a.severity}` : ''}${a.instance ? ` on ${a.instance}` : ''}` +
    `${labels ? ` ${labels}` : ''}: ${when}${a.value !== null ? `, value ${+a.value.toPrecision(4)}` : ''}` +
    `${a.inhibited ? ' [inhibited]' : ''}` +
    `${silenced}${a.summary ? ` — ${a.summary.slice(0, 160)}` : ''}`
  );
}

export const listAlertsTool = defineTool({
  name: 'list_alerts',
  title: 'List alerts',
  description:
    'Alerts firing or pending now across the fleet: from Prometheus (pending and firing, with the value and ' +
    'since when) and ' +
    'Alertmanager (which are silenced, by whom and until when; inhibited ones; alerts daemons posted ' +
    'themselves). Firing and ' +
    'critical first. Use explain_alert {name} for why one fires.',
  input: z.object({
    state: z.enum(['firing', 'pending', 'all']).default('all'),
    name: z.string().min(1).max(200).optional().describe('Only this alert name.'),
    instance: InstanceArg.optional().describe('Only alerts on this instance.'),
    includeSilenced: z.boolean().default(true).describe('false leaves silenced and inhibited alerts out.'),
    limit: z.number().int().min(1).max(200).default(20),
  }),
  output: z.object({
    sources: z.array(z.string()),
    time: z.string(),
    counts: z.object({ firing: z.number().int(), pending: z.number().int(), silenced: z.number().int() }),
    byName: z.record(z.string(), z.object({ firing: z.number().int(), pending: z.number().int() })),
    alerts: z.array(
      z.object({
        name: z.string(),
        state: z.enum(['firing', 'pending']),
        severity: z.string().nullable(),
        instance: z.string().nullable(),
        labels: z.record(z.string(), z.string()),
        since: z.string().nullable().describe('when the condition began to hold (pending start)'),
        firingSince: z.string().nullable(),
        value: z.number().nullable(),
        summary: z.string().nullable(),
        silencedBy: z.array(
          z.object({ id: z.string(), createdBy: z.string(), comment: z.string(), endsAt: z.string() }),
        ),
        inhibited: z.boolean(),
        source: z.enum(['prometheus', 'alertmanager', 'both']),
      }),
    ),
    omitted: z.number().int(),
  }),
  annotations: { title: 'List alerts', ...READ_ONLY, openWorldHint: true },
  async run(args, { fleet }) {
    const f = requireFleet(fleet);
    try {
      const now = Date.now();
      const { alerts, sources } = await activeAlerts(f);
      const matching = alerts.filter(
        (a) =>
          (args.state === 'all' || a.state === args.state) &&
          (args.name === undefined || a.name === args.name) &&
          (args.instance === undefined || a.instance === args.instance) &&
          (args.includeSilenced || (!a.silencedBy.length && !a.inhibited)),
      );
      const byName: Record<string, { firing: number; pending: number }> = {};
      for (const a of matching) {
        byName[a.name] ??= { firing: 0, pending: 0 };
        byName[a.name]![a.state]++;
      }
      const counts = {
        firing: matching.filter((a) => a.state === 'firing').length,
        pending: matching.filter((a) => a.state === 'pending').length,
        silenced: matching.filter((a) => a.silencedBy.length).length,
      };
      const shown = matching.slice(0, args.limit);
      const names = Object.entries(byName).map(
        ([n, c]) =>
          `${n} ${c.firing ? `${c.firing} firing` : ''}${c.firing && c.pending ? '/' : ''}` +
          `${c.pending ? `${c.pending} pending` : ''}`,
      );
      const head = matching.length
        ? `${matching.length} alert(s): ${counts.firing} firing, ${counts.pending} ` +
          `pending${counts.silenced ? `, ${counts.silenced} silenced` : ''}` +
          ` (${names.slice(0, 15).join(', ')}${names.length > 15 ? ', …' : ''}).`
        : `No ${args.state === 'all' ? 'firing or pending' : args.state} ` +
          `alerts${args.name ? ` named ${args.name}` : ''}` +
          `${args.instance ? ` on ${args.instance}` : ''} (asked ${sources.join(' and ')}).`;
      return {
        text: fitText(
          head,
          shown.map((a) => line(a, now)),
          matching.length - shown.length,
          TEXT_BUDGET,
          (n) => `… ${n} more (raise limit, or filter by name or instance).`,
        ),
        data: {
          sources,
          time: new Date(now).toISOString(),
          counts,
          byName,
          alerts: shown,
          omitted: matching.length - shown.length,
        },
      };
    } catch (e) {
      fleetError(e);
    }
  },
});
