import { plural } from '../../shared/words.js';
import { z } from 'zod';
import { CheckStatus } from '../../monitor/schema.js';
import { describeCheck, headline, problems } from '../../monitor/summary.js';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import { checkDetail, latestStatusPayload, RANGES, type StatusSource } from '../../status/payload.js';
import { fitLines } from './text.js';
import { defineTool, READ_ONLY, ToolError } from './types.js';

/** Characters of text for a client without Apps: a summary the size of health_check's, not the whole view. */
export const SHOW_TEXT_BUDGET = 1500;

/** Longest a caller may hold a call open waiting for the monitor's next publication. */
const MAX_WAIT_SECONDS = 30;

/** One listener per monitor however many callers wait: the promise of its next snapshot, shared. */
const nextSnapshots = new WeakMap<HealthMonitor, Promise<void>>();

/** Resolves at the monitor's next snapshot (the publication vitals://health subscribers are told of), or after `ms`. */
async function nextSnapshot(monitor: HealthMonitor, ms: number): Promise<void> {
  let next = nextSnapshots.get(monitor);
  if (!next) {
    next = new Promise<void>((resolve) => monitor.once('snapshot', () => resolve()));
    nextSnapshots.set(monitor, next);
    void next.then(() => nextSnapshots.delete(monitor));
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([next, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * The live status view. A client that announced MCP Apps gets it drawn (the `ui://vitals/status` resource is
 * linked from this tool's `_meta.ui.resourceUri`); every client gets the text. The app itself calls this tool
 * through the host's bridge: with `check` for the detail view, with `waitSeconds` to hear of the next change.
 */
export const showStatusTool = defineTool({
  name: 'show_status',
  title: 'Show status',
  description:
    'Shows the live status view of this machine and its dependencies: every check (problems first) with its 24-hour ' +
    'uptime bar, host gauges, the incidents of the last 24 hours, and a per-check history with thresholds. ' +
    'In a client ' +
    'with MCP Apps it opens as an interactive view; elsewhere it answers with the same summary as text. ' +
    "`check` (+ `range`) returns one check's history; `waitSeconds` waits for the next update before answering.",
  input: z.object({
    check: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe("Only this check's history, thresholds and events (the detail view)."),
    range: z
      .enum(Object.keys(RANGES) as ['1h', '24h', '7d'])
      .optional()
      .describe('History range for `check` (default 1h).'),
    waitSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_SECONDS)
      .optional()
      .describe(`Wait up to this long (at most ${MAX_WAIT_SECONDS} s) for the monitor's next update before answering.`),
  }),
  output: z.object({
    time: z.string(),
    status: CheckStatus,
    payload: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('the whole view: checks, gauges, incidents, 24-hour uptime slots, last-hour series, recent events'),
    detail: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('with `check`: its points ([unix seconds, value]), unit, thresholds and events'),
  }),
  annotations: { title: 'Show status', ...READ_ONLY },
  async run(args, { monitor, history }) {
    await monitor.ready;
    if (args.waitSeconds) await nextSnapshot(monitor, args.waitSeconds * 1000);
    const src: StatusSource = { monitor, ...(history ? { query: (q) => history.query(q) } : {}) };
    const s = monitor.snapshot;
    if (args.check !== undefined) {
      const detail = await checkDetail(src, args.check, args.range ?? '1h');
      if (!detail)
        throw new ToolError(
          `unknown check: ${args.check}; known: ${Object.keys(s.checks).join(', ')}`,
          'UNKNOWN_CHECK',
        );
      const c = s.checks[args.check]!;
      return {
        text:
          `${describeCheck(c, Date.parse(s.time), { thresholds: true })}; ` +
          `${plural(detail.events.length, 'status change')} in ${detail.range}`,
        data: { time: s.time, status: s.status, detail: detail as unknown as Record<string, unknown> },
      };
    }
    const payload = await latestStatusPayload(src, history);
    const ongoing = payload.view.incidents.filter((i) => i.ongoing).length;
    const past = payload.view.incidents.length - ongoing;
    const lines = [headline(s), ...problems(s)];
    if (past) lines.push(`${plural(past, 'incident')} ended in the last 24 h (diagnose explains them)`);
    return {
      text: fitLines(
        lines,
        SHOW_TEXT_BUDGET,
        (n) => `… ${plural(n, 'more line')} (health_check lists every check)`,
      ).join('\n'),
      data: { time: s.time, status: s.status, payload: payload as unknown as Record<string, unknown> },
    };
  },
});
