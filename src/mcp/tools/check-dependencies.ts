import { z } from 'zod';
import { BreakerState, CheckStatus, InstanceState, StateStatus } from '../../monitor/schema.js';
import { problemStart } from '../../monitor/summary.js';
import { formatValue } from '../../shared/format.js';
import { STATUS_WORD, WORST_FIRST, worst } from '../../shared/status.js';
import { sinceText } from '../../shared/words.js';
import { fitLines, okList } from './text.js';
import { defineTool, READ_ONLY, ToolError } from './types.js';

/** Characters of text by default; past it, passing dependencies are listed in one line. */
export const DEPENDENCIES_TEXT_BUDGET = 1500;

const DependencyView = z.object({
  name: z.string(),
  kind: z.string(),
  status: StateStatus.describe('"pending" until its first run has a result'),
  critical: z.boolean(),
  latencySeconds: z.number().nullable(),
  output: z.string(),
  lastError: z.string().optional().describe('latest failure reason, short and with secrets removed'),
  breaker: BreakerState,
  since: z.string().describe('ISO time the status last changed'),
  problemSince: z
    .string()
    .optional()
    .describe('ISO time the current problem began: the first failed run of the streak'),
  time: z.string().describe('ISO time of the latest run'),
  consecutiveFailures: z.number().int(),
  consecutiveSuccesses: z.number().int(),
  runs: z.number().int(),
  skippedRuns: z.number().int(),
  instances: z.array(InstanceState),
  info: z.record(z.string(), z.string()).optional(),
});

export const checkDependenciesTool = defineTool({
  name: 'check_dependencies',
  title: 'Check dependencies',
  description:
    'Status of the dependencies mcp-vitals watches (PostgreSQL, Redis, HTTP endpoints, TCP ports): each with ' +
    'pass/warn/fail, ' +
    'latency, last error, circuit-breaker state, and since when. A status flips only after several failed (or ' +
    'good) runs ' +
    'in a row, so one blip does not count. Set `refresh: true` to run every check now instead of reading the last ' +
    'scheduled result (shared with concurrent callers, at most every few seconds).',
  input: z.object({
    refresh: z.boolean().optional().describe('Run the checks now rather than report the last scheduled run.'),
    names: z.array(z.string()).min(1).optional().describe('Only these checks (by name).'),
    verbose: z.boolean().optional().describe('Every dependency on its own line, past the usual length limit.'),
  }),
  output: z.object({
    time: z.string(),
    status: CheckStatus.describe(
      'worst status among the dependencies shown that have a result; pass when there are none',
    ),
    refreshed: z.boolean(),
    checks: z.array(DependencyView),
  }),
  annotations: { title: 'Check dependencies', ...READ_ONLY },
  async run(args, { monitor, scopes }) {
    await monitor.ready;
    if (args.refresh && scopes && !scopes.has('vitals:refresh'))
      throw new ToolError('refresh needs the vitals:refresh scope', 'FORBIDDEN');
    const s = args.refresh ? await monitor.refresh({ dependenciesOnly: true }) : monitor.snapshot;
    const deps = Object.values(s.checks).filter((c) => c.group === 'dependency');
    if (args.names) {
      const known = new Set(deps.map((d) => d.name));
      const unknown = args.names.filter((n) => !known.has(n));
      if (unknown.length)
        throw new ToolError(
          `unknown check${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')};` +
            ` known: ${[...known].join(', ') || '(none configured)'}`,
          'UNKNOWN_CHECK',
        );
    }
    const shown = args.names ? deps.filter((d) => args.names!.includes(d.name)) : deps;
    const checks = shown.map((c) => ({
      name: c.name,
      kind: c.kind,
      status: c.status,
      critical: c.critical,
      latencySeconds: c.latencySeconds ?? null,
      output: c.output,
      ...(c.lastError ? { lastError: c.lastError } : {}),
      breaker: c.breaker ?? 'closed',
      since: c.since,
      ...(c.problemSince ? { problemSince: c.problemSince } : {}),
      time: c.time,
      consecutiveFailures: c.consecutiveFailures ?? 0,
      consecutiveSuccesses: c.consecutiveSuccesses ?? 0,
      runs: c.runs ?? 0,
      skippedRuns: c.skippedRuns ?? 0,
      instances: c.instances ?? [],
      ...(c.info ? { info: c.info } : {}),
    }));
    const status = checks.reduce<CheckStatus>((w, c) => (c.status === 'pending' ? w : worst(w, c.status)), 'pass');
    const now = Date.parse(s.time);
    const line = (c: (typeof checks)[number], state: (typeof shown)[number]) => {
      const head = `- ${c.name} (${c.kind}${c.critical ? ', critical' : ''}): ${STATUS_WORD[c.status]}`;
      if (c.status === 'pending') return `${head} — no result yet`;
      const since = c.status === 'pass' ? '' : ` since ${sinceText(problemStart(state), now)}`;
      const latency = c.latencySeconds === null ? '' : `, ${formatValue(c.latencySeconds, 's')}`;
      return (
        `${head}${since}${latency}${c.breaker !== 'closed' ? `, breaker ${c.breaker}` : ''}` +
        `${c.output ? ` — ${c.output}` : ''}`
      );
    };
    // With several instances the model needs to see which one is down, not only the aggregate.
    const withInstances = (c: (typeof checks)[number], i: number) =>
      c.instances.length < 2
        ? line(c, shown[i]!)
        : [
            line(c, shown[i]!),
            ...c.instances.map(
              (x) =>
                `  - ${x.name} ${x.target}: ` +
                (x.ok ? `up, ${formatValue(x.latencySeconds, 's')}` : `down${x.error ? ` — ${x.error}` : ''}`),
            ),
          ].join('\n');
    const order = checks
      .map((_c, i) => i)
      .sort((a, b) => WORST_FIRST[checks[a]!.status] - WORST_FIRST[checks[b]!.status] || a - b);
    let text = order.map((i) => withInstances(checks[i]!, i)).join('\n');
    if (!checks.length)
      text =
        'No dependency checks are configured. Add PostgreSQL, Redis, HTTP or TCP checks under `checks:` in ' +
        'the config file.';
    else if (!args.verbose && text.length > DEPENDENCIES_TEXT_BUDGET) {
      // Too long for a model: problems in full (as many as fit), passing ones as one short list.
      const ok = order.filter((i) => checks[i]!.status === 'pass').map((i) => shown[i]!);
      const okLine = ok.length ? `OK: ${okList(ok, 500)}` : '';
      const problems = order.filter((i) => checks[i]!.status !== 'pass').map((i) => withInstances(checks[i]!, i));
      text = [
        ...fitLines(
          problems,
          DEPENDENCIES_TEXT_BUDGET - okLine.length - 1,
          (n) => `… ${n} more (verbose: true lists all)`,
        ),
        ...(okLine ? [okLine] : []),
      ].join('\n');
    }
    return { text, data: { time: s.time, status, refreshed: Boolean(args.refresh), checks } };
  },
});
