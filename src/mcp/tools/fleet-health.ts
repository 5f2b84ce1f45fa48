import { z } from 'zod';
import {
  FLEET_ORDER,
  lastSeen,
  readFleet,
  summarizeFleet,
  type FleetInstance,
  type FleetSummary,
} from '../../fleet/health.js';
import { parseTime } from '../../fleet/time.js';
import { fitText, fleetError, relative, requireFleet } from './fleet-common.js';
import { defineTool, READ_ONLY } from './types.js';

const FleetStatus = z.enum(FLEET_ORDER as [string, ...string[]]);
const WORD: Record<string, string> = {
  fail: 'FAIL',
  not_reporting: 'NOT REPORTING',
  warn: 'WARN',
  unknown: 'UNKNOWN',
  pass: 'ok',
};
/** Characters of text at most, whatever `limit` asks (the structured content has every instance shown). */
const TEXT_BUDGET = 3500;
/** Checks named per instance in the text; the rest are counted. */
const CHECKS_IN_TEXT = 4;

function line(i: FleetInstance, now: number): string {
  const who = `${i.instance}${i.host && !i.instance.startsWith(i.host) ? ` (${i.host})` : ''}`;
  if (i.status === 'not_reporting')
    return (
      `${WORD[i.status]} ${who}: ${i.reason}` +
      (i.lastSeen !== undefined
        ? `; last seen ${i.lastSeen ? relative(now, i.lastSeen) : 'over the lookback ago'}`
        : '')
    );
  if (i.status === 'unknown') return `${WORD[i.status]} ${who}: ${i.reason}`;
  const checks = i.checks
    .slice(0, CHECKS_IN_TEXT)
    .map((c) => `${c.check} ${c.status}${c.critical ? ' (critical)' : ''}`);
  const more = i.checks.length > CHECKS_IN_TEXT ? `, +${i.checks.length - CHECKS_IN_TEXT} more` : '';
  return `${WORD[i.status]} ${who}: ${checks.join(', ') || 'no failing check exported'}${more}`;
}

/** The answer: one line of counts, one line per instance shown, one for what was left out. */
export function renderFleet(s: FleetSummary, m: { source: string; at: number; now: number; lookbackMs: number }) {
  const counts = FLEET_ORDER.filter((k) => s.counts[k] > 0).map((k) => `${s.counts[k]} ${k.replace('_', ' ')}`);
  const head = s.total
    ? `${s.total} mcp-vitals instance(s) in Prometheus (seen within ${Math.round(m.lookbackMs / 60_000)}` +
      `m${m.at !== m.now ? `, at ${new Date(m.at).toISOString()}` : ''}` +
      `): ${counts.join(', ')}.`
    : `Prometheus at ${m.source} has no ` +
      `target_info{service_name="mcp-vitals"} within ${Math.round(m.lookbackMs / 60_000)}` +
      `m: no daemon is scraped by it.`;
  const text = fitText(
    head,
    s.shown.map((i) => line(i, m.at)),
    s.omitted,
    TEXT_BUDGET,
    (n) => `… ${n} more not shown (raise limit, or filter by status).`,
  );
  return {
    text,
    data: {
      source: m.source,
      time: new Date(m.at).toISOString(),
      total: s.total,
      counts: s.counts,
      instances: s.shown,
      omitted: s.omitted,
    },
  };
}

export const fleetHealthTool = defineTool({
  name: 'fleet_health',
  title: 'Fleet health',
  description:
    'Every host running mcp-vitals, as Prometheus sees them: counts per status (fail, not_reporting, warn, ' +
    'unknown, pass) and the ' +
    'worst instances first with their failing or warning checks; instances Prometheus can no longer scrape ' +
    'show as not_reporting. ' +
    'The answer stays small for any fleet size (raise `limit` to see more). Use an instance from here with ' +
    'query_history ' +
    '{instance} or diagnose {instance} to dig into one host; list_alerts for what is paging.',
  input: z.object({
    status: z
      .array(FleetStatus)
      .min(1)
      .max(5)
      .optional()
      .describe('Only instances in these statuses (default: every status but pass).'),
    includePassing: z.boolean().default(false).describe('List passing instances too (after the others).'),
    limit: z.number().int().min(1).max(200).default(10).describe('Instances shown in full, worst first.'),
    at: z
      .string()
      .max(64)
      .optional()
      .describe('Evaluate at this time instead of now: ISO-8601, Unix seconds, "now-1h" or "-30m".'),
  }),
  output: z.object({
    source: z.string(),
    time: z.string(),
    total: z.number().int(),
    counts: z.record(z.string(), z.number().int()).describe('instances per status'),
    instances: z.array(
      z.object({
        instance: z.string().describe("Prometheus' instance label (what query_history/diagnose take)"),
        job: z.string(),
        host: z.string().nullable(),
        version: z.string().nullable(),
        status: FleetStatus,
        checks: z.array(z.object({ check: z.string(), status: z.enum(['warn', 'fail']), critical: z.boolean() })),
        reason: z.string().optional(),
        lastSeen: z.string().nullable().optional(),
      }),
    ),
    omitted: z.number().int().describe('matching instances not listed (over `limit`)'),
  }),
  annotations: { title: 'Fleet health', ...READ_ONLY, openWorldHint: true },
  async run(args, { fleet }) {
    const f = requireFleet(fleet);
    try {
      const prom = f.requirePrometheus();
      const now = Date.now();
      const at = args.at !== undefined ? parseTime(args.at, now) : now;
      const all = await readFleet(prom, { lookbackMs: f.lookbackMs, now: at });
      const s = summarizeFleet(all, {
        limit: args.limit,
        includePassing: args.includePassing,
        ...(args.status ? { status: args.status as FleetInstance['status'][] } : {}),
      });
      await lastSeen(prom, s.shown, f.lookbackMs, at);
      return renderFleet(s, { source: prom.url, at, now, lookbackMs: f.lookbackMs });
    } catch (e) {
      fleetError(e);
    }
  },
});
