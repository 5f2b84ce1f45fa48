import type { GetPromptResult, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Analysis } from '../../analysis/index.js';
import type { HealthMonitor } from '../../monitor/health-monitor.js';

const user = (text: string): GetPromptResult => ({ messages: [{ role: 'user', content: { type: 'text', text } }] });

function diagnoseIncidentText(args: { check?: string; window?: string }, now?: Analysis): string {
  const window = args.window || '6h';
  const focus = args.check ? ` Focus on the check "${args.check}".` : '';
  const state = now
    ? [
        `Right now: ${now.headline}.`,
        ...now.incidents.map(
          (i) =>
            `- ${i.check} ${i.status === 'fail' ? 'failed' : 'warning'} ` +
            `${i.start ? `from ${i.start}` : '(start unknown)'}${i.end ? ` to ${i.end}` : ', ongoing'}: ${i.reason}`,
        ),
      ]
    : [];
  return [
    `Investigate the current health of this machine and its dependencies with the mcp-vitals tools, and write ` +
      `an incident summary.${focus}`,
    ...(state.length ? ['', ...state] : []),
    '',
    'Steps:',
    `1. Call \`diagnose\` with window "${window}"${args.check ? ` and check "${args.check}"` : ''}. It lists ` +
      `each incident (ongoing or finished) with its start, end and duration, what changed just before, the ` +
      `processes captured when it began, problems that began together, and disk-full ETAs; its structured ` +
      `content has the figures.`,
    `2. Call \`list_events\` (window "${window}") to confirm the order of transitions and breaker changes.`,
    '3. For each failing check and each resource the diagnosis names, call `query_history` (with `check` or ' +
      '`series`) over a window that starts before the problem began, to see whether it was sudden or gradual.',
    '4. If CPU or memory is involved, call `top_processes` (by "cpu" or "memory") for what is running now, ' +
      'and compare it with the processes the diagnosis captured when the problem began.',
    '',
    'Then answer with: what is broken and since when (exact times, in UTC); the most likely cause and the ' +
      'evidence for it (quote the figures); what else was affected; and what to check or do next. ' +
      'Do not guess beyond the data: say what the data does not show (diagnose lists missing evidence), and ' +
      'do not call two problems one cause because they are close in time. If nothing is failing, say so and ' +
      'mention any trend worth watching.',
  ].join('\n');
}

function capacityReportText(args: { window?: string }): string {
  const window = args.window || '7d';
  return [
    `Write a capacity report for this machine over the last ${window} using the mcp-vitals tools.`,
    '',
    'Steps:',
    `1. Call \`query_history\` with window "${window}" for cpu.utilization, memory.utilization, ` +
      `swap.utilization and load.1m, and for every disk.utilization:<mountpoint> series (an unknown series name ` +
      `answers with the list of those that exist).`,
    `2. Call \`diagnose\` with window "${window}" for the disk-full ETA of each filesystem (least-squares ` +
      `trend) and anything currently failing.`,
    '3. Call `get_metrics` for current totals (cores, memory and disk sizes) and `top_processes` by "memory" ' +
      'and by "cpu" for the biggest consumers now.',
    '',
    'Report, per resource: average, p95 and peak over the window, the trend per hour or per day, and the ' +
      'headroom left (time to exhaustion where a trend is positive). ' +
      'Flag anything that will cross its fail threshold within 30 days, and name the top consumers. Keep the ' +
      'numbers exact and say which figures are estimates (p95 from aggregates is).',
  ].join('\n');
}

// Built once: a per-request HTTP server registers the prompts anew, and a zod schema costs more than the rest.
const DIAGNOSE_ARGS = z.object({
  check: z.string().optional().describe('A check to focus on (optional).'),
  window: z.string().optional().describe('How far back to look, e.g. "1h", "6h" (default), "24h".'),
});
const CAPACITY_ARGS = z.object({
  window: z.string().optional().describe('The period to report on, e.g. "24h" or "7d" (default).'),
});

/** Prompts that steer a model through the history tools for the two questions people ask most. */
export function registerPrompts(server: McpServer, monitor: HealthMonitor): void {
  server.registerPrompt(
    'diagnose-incident',
    {
      title: 'Diagnose an incident',
      description:
        'Find out what is failing, since when and why, using diagnose, list_events, query_history and top_processes.',
      argsSchema: DIAGNOSE_ARGS,
    },
    async (args) => {
      await monitor.ready;
      // The analysis modules load with the first prompt that needs them, not before a server can answer.
      const { analyzeMonitor } = await import('../../analysis/index.js');
      return user(
        diagnoseIncidentText(
          args,
          analyzeMonitor(monitor, { windowMs: 3_600_000, ...(args.check ? { check: args.check } : {}) }),
        ),
      );
    },
  );
  server.registerPrompt(
    'capacity-report',
    {
      title: 'Capacity report',
      description:
        'CPU, memory, load and disk over a window with trends, headroom and disk-full ETAs, using ' +
        'query_history and diagnose.',
      argsSchema: CAPACITY_ARGS,
    },
    (args) => user(capacityReportText(args)),
  );
}
