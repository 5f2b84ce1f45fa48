import { z } from 'zod';
import { CheckStatus, type Snapshot, StateStatus, ThresholdView } from '../../monitor/schema.js';
import { describeCheck, headline, problemChecks } from '../../monitor/summary.js';
import { fitLines, okList } from './text.js';
import { perSnapshot } from './snapshot-common.js';
import { defineTool, READ_ONLY } from './types.js';

/** Characters of text by default: enough for 50 checks with a few problems, small in a model's context. */
export const HEALTH_TEXT_BUDGET = 1500;

const CheckSummary = z.object({
  name: z.string(),
  kind: z.string(),
  group: z.enum(['host', 'self', 'dependency']),
  status: StateStatus.describe('"pending" until the check has a result of its own; never counted as ok'),
  critical: z.boolean(),
  observedValue: z.number().nullable(),
  observedUnit: z.string().describe('"ratio" (0..1), "s" (seconds)'),
  threshold: ThresholdView.optional(),
  output: z.string().describe('why the status is not pass, or what is pending; empty when all is well'),
  since: z.string().describe('ISO time the status last changed'),
  problemSince: z
    .string()
    .optional()
    .describe(
      'ISO time the current problem began (the value first crossed the level, or the first failed run); ' +
        'earlier than `since` when a hold delayed the status',
    ),
  time: z.string().describe('ISO time of the observation'),
});

export const healthCheckTool = defineTool({
  name: 'health_check',
  title: 'Health check',
  description:
    'Overall health of this machine and the services mcp-vitals watches: pass, warn or fail, with every check ' +
    '(CPU, memory, ' +
    'each filesystem, MCP tool error rate, configured dependencies), what is wrong and since when. Start here ' +
    'for "how is ' +
    'this machine doing?". Reads the latest scheduled sample: instant, no side effects.',
  input: z.object({
    only_problems: z.boolean().optional().describe('Only checks that are not passing.'),
    verbose: z.boolean().optional().describe('One line per check with thresholds, past the usual length limit.'),
  }),
  output: z.object({
    status: CheckStatus,
    summary: z.string(),
    time: z.string(),
    hostname: z.string(),
    problems: z
      .array(z.string())
      .describe(
        'one line per check that is failing or warning (or has a level crossed and its hold running), worst first',
      ),
    checks: z.array(CheckSummary),
  }),
  annotations: { title: 'Health check', ...READ_ONLY },
  async run(args, { monitor }) {
    await monitor.ready;
    return answerFor(monitor.snapshot, args);
  },
});

type Args = { only_problems?: boolean; verbose?: boolean };

/** The answer is a function of the snapshot and the two flags only (times are the snapshot's own). */
function answer(s: Snapshot, args: Args) {
  const now = Date.parse(s.time);
  const all = Object.values(s.checks);
  const bad = problemChecks(s);
  const shown = args.only_problems ? bad : all;
  const checks = shown.map((c) => ({
    name: c.name,
    kind: c.kind,
    group: c.group,
    status: c.status,
    critical: c.critical,
    observedValue: c.observedValue,
    observedUnit: c.observedUnit,
    ...(c.threshold ? { threshold: c.threshold } : {}),
    output: c.output,
    since: c.since,
    ...(c.problemSince ? { problemSince: c.problemSince } : {}),
    time: c.time,
  }));
  const problems = bad.map((c) => describeCheck(c, now));
  const summary = headline(s);
  let lines: string[];
  if (args.verbose) lines = [summary, ...shown.map((c) => `- ${describeCheck(c, now, { thresholds: true })}`)];
  else {
    const pending = all.filter((c) => c.status === 'pending');
    const ok = all.filter((c) => c.status === 'pass' && !c.pending);
    const head = [summary];
    const problemLines = bad.length ? ['Problems:', ...problems.map((p) => `- ${p}`)] : [];
    const rest: string[] = [];
    if (pending.length) rest.push(`Pending (no result yet): ${pending.map((c) => c.name).join(', ')}`);
    if (ok.length && !args.only_problems) rest.push(`OK: ${okList(ok, 600)}`);
    const restLength = rest.reduce((n, l) => n + l.length + 1, 0);
    lines = [
      ...head,
      ...fitLines(
        problemLines,
        HEALTH_TEXT_BUDGET - summary.length - restLength - 1,
        (n) => `… ${n} more (verbose: true lists all)`,
      ),
      ...rest,
    ];
  }
  return {
    text: lines.join('\n'),
    data: { status: s.status, summary, time: s.time, hostname: s.hostname, problems, checks },
  };
}

const answerFor = perSnapshot(answer, (args: Args) => `${args.only_problems === true}/${args.verbose === true}`);
