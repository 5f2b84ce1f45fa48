import { z } from 'zod';
import { statusWord } from '../../shared/status.js';
import { clockTime, plural, roughDuration } from '../../shared/words.js';
import { HealthEvent } from '../../monitor/schema.js';
import { parseWindow } from './history-common.js';
import { fitLines } from './text.js';
import { defineTool, READ_ONLY } from './types.js';

/** Characters of text by default. */
export const EVENTS_TEXT_BUDGET = 2000;
import { WindowArg } from '../../config/limits.js';

export const listEventsTool = defineTool({
  name: 'list_events',
  title: 'List events',
  description:
    'What changed, newest first: every status transition of a check (pass/warn/fail, with the reason) and every ' +
    'circuit-breaker change of a dependency (closed/open/half-open) within a window such as 1h, 24h or 7d. Filter by ' +
    '`check` or `type`. Use it to see when a problem began and what happened just before. Reads recorded events only ' +
    '(kept across restarts with the postgres history store).',
  input: z.object({
    window: WindowArg.default('24h').describe('How far back from now: "1h", "24h", "7d".'),
    check: z.string().min(1).optional().describe('Only events of this check.'),
    type: z.enum(['status', 'breaker']).optional().describe('Only status transitions, or only breaker changes.'),
    limit: z.number().int().min(1).max(500).default(50),
  }),
  output: z.object({
    from: z.string(),
    to: z.string(),
    count: z.number().int(),
    truncated: z.boolean().describe('true when more events matched than `limit`'),
    events: z.array(HealthEvent),
  }),
  annotations: { title: 'List events', ...READ_ONLY },
  async run(args, { monitor, history }) {
    await monitor.ready;
    const windowMs = parseWindow(args.window);
    const to = monitor.now();
    const from = to - windowMs;
    const query = {
      sinceMs: from,
      ...(args.check ? { check: args.check } : {}),
      limit: args.type ? 10_000 : args.limit + 1,
    };
    // Without a store (a server built for tests) the monitor's own bounded log still answers.
    const all = history ? await history.events(query) : monitor.events(query);
    const matched = args.type ? all.filter((e) => e.type === args.type) : all;
    const events = matched.slice(0, args.limit);
    const head = `${
      matched.length > events.length ? `${events.length} of ${matched.length}+ events` : plural(events.length, 'event')
    } in the last ${roughDuration(windowMs)}, newest first:`;
    const lines = events.map((e) => {
      const began = e.startedAt ? ` (began ${clockTime(Date.parse(e.startedAt), to)})` : '';
      return (
        `- ${clockTime(Date.parse(e.time), to)} ${e.check} ` +
        (e.type === 'breaker' ? `breaker ${e.from} → ${e.to}` : `${statusWord(e.from)} → ${statusWord(e.to)}`) +
        `${began}: ${e.reason}`
      );
    });
    // The structured content has every event asked for; the text stops at its budget.
    const text = events.length
      ? [
          head,
          ...fitLines(lines, EVENTS_TEXT_BUDGET - head.length - 1, (n) => `… ${n} more (in the structured content)`),
        ].join('\n')
      : `No ${args.type ?? ''}${args.type ? ' ' : ''}events${args.check ? ` for ${args.check}` : ''} in the ` +
        `last ${roughDuration(windowMs)}.`;
    return {
      text,
      data: {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        count: events.length,
        truncated: matched.length > events.length,
        events,
      },
    };
  },
});
