import { z } from 'zod';
import { CheckStatus, ThresholdView } from '../../monitor/schema.js';
import { describeCheck, headline, problems } from '../../monitor/summary.js';
import { defineTool, READ_ONLY } from './types.js';

const CheckSummary = z.object({
  name: z.string(),
  kind: z.string(),
  group: z.enum(['host', 'self', 'dependency']),
  status: CheckStatus,
  critical: z.boolean(),
  observedValue: z.number().nullable(),
  observedUnit: z.string().describe('"ratio" (0..1), "s" (seconds)'),
  threshold: ThresholdView.optional(),
  output: z.string().describe('why the status is not pass, or what is pending; empty when all is well'),
  since: z.string().describe('ISO time the status last changed'),
  time: z.string().describe('ISO time of the observation'),
});

export const healthCheckTool = defineTool({
  name: 'health_check',
  title: 'Health check',
  description:
    'Overall health of this machine and the services mcp-vitals watches: "pass", "warn" or "fail", every check ' +
    '(CPU, memory, each filesystem, MCP tool error rate, and configured dependencies) with its observed value, its ' +
    'thresholds, and the reason for anything not passing. Start here for "how is this machine doing?". Values are ' +
    'from the latest scheduled sample (seconds old), so calling it is instant and has no side effects.',
  input: z.object({
    only_problems: z.boolean().optional().describe('List only checks that are not passing (or are about to stop passing).'),
  }),
  output: z.object({
    status: CheckStatus,
    summary: z.string(),
    time: z.string(),
    hostname: z.string(),
    problems: z.array(z.string()).describe('one line per check that is not passing, worst first'),
    checks: z.array(CheckSummary),
  }),
  annotations: { title: 'Health check', ...READ_ONLY },
  async run(args, { monitor }) {
    await monitor.ready;
    const s = monitor.snapshot;
    const all = Object.values(s.checks);
    const shown = args.only_problems ? all.filter((c) => c.status !== 'pass' || c.pending) : all;
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
      time: c.time,
    }));
    const issues = problems(s);
    const text = [headline(s), ...(issues.length ? ['Problems:', ...issues.map((p) => `- ${p}`)] : []), 'Checks:', ...shown.map((c) => `- ${describeCheck(c)}`)].join('\n');
    return { text, data: { status: s.status, summary: headline(s), time: s.time, hostname: s.hostname, problems: issues, checks } };
  },
});
