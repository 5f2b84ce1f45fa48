import { z } from 'zod';
import { formatDuration } from '../../shared/duration.js';
import { HealthEvent } from '../../monitor/schema.js';
import { formatSeriesValue, formatTrend, seriesName } from '../../store/series.js';
import { Resolution, SeriesPoint, SeriesSummary, UnknownSeriesError } from '../../store/types.js';
import { asToolError, requireFleet } from './fleet-common.js';
import { historyError, parseWindow, requireHistory } from './history-common.js';
import { MIN_TREND_SPAN_MS } from '../../analysis/index.js';
import { statusWord } from '../../shared/status.js';
import { plural, roughDuration } from '../../shared/words.js';
import { defineTool, READ_ONLY, ToolError } from './types.js';
import { InstanceArg, WindowArg } from '../../config/limits.js';

/** Points written out in the text at most; the structured content has all of them. */
const TEXT_POINTS = 30;

/** A point's label as precise as its step: seconds for sub-minute steps, the date for steps of a day. */
export function pointLabel(iso: string, stepMs: number, windowMs: number): string {
  if (stepMs >= 86_400_000 || windowMs > 86_400_000) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return stepMs < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
}

/** At most `n` items, evenly spread, always keeping the last. */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.round((i * (items.length - 1)) / (n - 1))]!);
  return out;
}

const MAX_POINTS = 120;
const RESOLUTION_WORDS: Record<Resolution, string> = {
  raw: 'raw samples',
  '1m': '1-minute aggregates',
  '15m': '15-minute aggregates',
};

export const queryHistoryTool = defineTool({
  name: 'query_history',
  title: 'Query history',
  description:
    'How a metric or a check behaved over a past window (e.g. 15m, 6h,' +
    ' 7d): min, avg, p95, max, last value and the trend ' +
    'per hour, plus at most 120 downsampled points (min/avg/max per step). Give `series` (cpu.utilization, ' +
    'memory.utilization, swap.utilization, load.1m, disk.utilization:<mountpoint>, network.receive:<interface>, ' +
    'network.transmit:<interface>, self.rss, check.status:<check>, check.latency:<check>, check.value:<check>) or ' +
    '`check` (a check name: its latency or observed value, its status and its transitions). An unknown name answers ' +
    'with the list of series that exist. Reads stored history only; ' +
    'recent windows come from raw samples, longer ones ' +
    'from 1-minute or 15-minute aggregates (then p95 is an estimate).',
  input: z.object({
    series: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe('A series name, e.g. "cpu.utilization" or "disk.utilization:/".'),
    check: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe('A check name (as health_check lists them), instead of `series`.'),
    window: WindowArg.default('1h').describe('How far back from now: "15m", "6h", "24h", "7d".'),
    step: z
      .string()
      .max(32)
      .optional()
      .describe('Spacing of the points, e.g. "5m"; raised when it would give more than 120 points.'),
    instance: InstanceArg.optional().describe(
      'Another host, as fleet_health lists it: the same series read from Prometheus instead of the local store.',
    ),
  }),
  output: z.object({
    series: z.string(),
    unit: z.string().describe('"ratio" (0..1), "s", "By", "By/s", "status" (0 pass, 1 warn, 2 fail), or "1"'),
    from: z.string(),
    to: z.string(),
    resolution: Resolution,
    stepSeconds: z.number(),
    stepAdjusted: z.boolean(),
    summary: SeriesSummary.nullable().describe('null when no sample falls in the window'),
    points: z.array(SeriesPoint),
    check: z
      .object({
        name: z.string(),
        status: z.string().describe('current status'),
        worstStatus: z.enum(['pass', 'warn', 'fail']).nullable().describe('worst status sampled in the window'),
        transitions: z.array(HealthEvent).describe('status changes in the window, newest first'),
      })
      .optional(),
  }),
  annotations: { title: 'Query history', ...READ_ONLY },
  async run(args, { monitor, history, fleet }) {
    const remote = args.instance !== undefined ? requireFleet(fleet).history(args.instance) : undefined;
    const h = remote ?? requireHistory(history);
    // A remote host's errors (Prometheus away, unknown series there) read like the local store's.
    const failed = (e: unknown): never => historyError(asToolError(e));
    // Right after start the first sample is what makes the series exist: answer from it, not before it.
    if (!remote) await monitor.ready;
    if ((args.series === undefined) === (args.check === undefined)) {
      const known = (await h.series().catch(failed)).map((s) => s.name);
      throw new ToolError(
        `give exactly one of \`series\` or \`check\`. Available series (` +
          `${known.length}): ${known.slice(0, 80).join(', ')}`,
        'INVALID_ARGUMENT',
      );
    }
    const windowMs = parseWindow(args.window);
    const step = args.step !== undefined ? parseWindow(args.step, 'step') : undefined;
    const to = monitor.now();
    const from = to - windowMs;

    let series = args.series!;
    const checkName = args.check;
    if (checkName !== undefined) {
      const state = remote ? undefined : monitor.snapshot.checks[checkName];
      const known = (await h.series().catch(failed)).map((s) => s.name);
      // A dependency that never answered has no latency series; its status series still tells the story.
      const candidates = [
        seriesName('check.latency', checkName),
        seriesName('check.value', checkName),
        seriesName('check.status', checkName),
      ];
      const found =
        candidates.find((c) => known.includes(c)) ??
        (state ? (state.group === 'dependency' ? candidates[0]! : candidates[1]!) : undefined);
      if (state?.status === 'pending' && !candidates.some((c) => known.includes(c))) {
        const empty = {
          series: found!,
          unit: state.group === 'dependency' ? 's' : 'ratio',
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          resolution: 'raw' as const,
          stepSeconds: 0,
          stepAdjusted: false,
          summary: null,
          points: [],
        };
        return {
          text: `${checkName} is pending: it has no result yet, so no history.`,
          data: { ...empty, check: { name: checkName, status: 'pending', worstStatus: null, transitions: [] } },
        };
      }
      if (!found)
        historyError(
          new UnknownSeriesError(
            `check ${checkName}`,
            [...new Set(known.filter((k) => k.startsWith('check.')).map((k) => k.slice(k.indexOf(':') + 1)))].map(
              (n) => `check ${n}`,
            ),
          ),
        );
      series = found;
    }
    const r = await h
      .query({ series, from, to, maxPoints: MAX_POINTS, ...(step !== undefined ? { step } : {}) })
      .catch(failed);

    let check:
      | {
          name: string;
          status: string;
          worstStatus: 'pass' | 'warn' | 'fail' | null;
          transitions: z.infer<typeof HealthEvent>[];
        }
      | undefined;
    if (checkName !== undefined) {
      const status = await h
        .query({ series: seriesName('check.status', checkName), from, to, maxPoints: 2 })
        .catch(() => undefined);
      const max = status?.summary?.max;
      const transitions = (await h.events({ sinceMs: from, check: checkName, limit: 50 }).catch(failed)).filter(
        (e) => e.type === 'status',
      );
      check = {
        name: checkName,
        status:
          (remote
            ? (await remote.checkStatus(checkName).catch(failed)).get(checkName)
            : monitor.snapshot.checks[checkName]?.status) ?? 'unknown',
        worstStatus: max === undefined ? null : max >= 2 ? 'fail' : max >= 1 ? 'warn' : 'pass',
        transitions,
      };
    }

    const f = (v: number) => formatSeriesValue(v, r.unit);
    const s = r.summary;
    // A slope over a few minutes of samples extrapolated to an hour is noise, not a trend.
    const spanMs = s ? Date.parse(s.lastTime) - Date.parse(s.firstTime) : 0;
    const trend =
      !s || s.trendPerHour === null
        ? 'n/a'
        : spanMs < MIN_TREND_SPAN_MS
          ? `n/a (samples span only ${roughDuration(Math.max(0, spanMs))})`
          : formatTrend(s.trendPerHour, r.unit);
    const lines = [
      `${remote ? `${remote.instance} (from Prometheus): ` : ''}${series} over ${formatDuration(windowMs)}` +
        ` (${RESOLUTION_WORDS[r.resolution]}, ${formatDuration(r.stepMs)} steps, ${plural(r.points.length, 'point')}` +
        `${r.stepAdjusted ? '; step raised to stay within 120 points' : ''}):`,
      s
        ? `min ${f(s.min)}, avg ${f(s.avg)}, p95 ${f(s.p95)}${s.p95Estimated ? ' (estimated)' : ''}, ` +
          `max ${f(s.max)}, last ${f(s.last)} at ${s.lastTime.slice(11, 19)}; ${plural(s.count, 'sample')}` +
          `; trend ${trend}`
        : 'no samples in this window (the daemon may have started later, or the series is new).',
    ];
    if (check) {
      const shown = check.transitions
        .slice(0, 10)
        .map((e) => `${e.time.slice(11, 19)} ${statusWord(e.from)}→${statusWord(e.to)}`);
      lines.push(
        `check ${check.name}: now ${statusWord(check.status)}; ` +
          `worst in window ${check.worstStatus ? statusWord(check.worstStatus) : 'n/a'}` +
          `; ${plural(check.transitions.length, 'transition')}${shown.length ? `: ${shown.join(', ')}` : ''}`,
      );
    }
    if (r.points.length) {
      const pts = spread(r.points, TEXT_POINTS);
      const label = (p: (typeof pts)[number]) => pointLabel(p.time, r.stepMs, windowMs);
      const range = (p: (typeof pts)[number]) => (p.min !== p.max ? ` [${f(p.min)}–${f(p.max)}]` : '');
      lines.push(
        `points (start avg [min–max])${pts.length < r.points.length ? `, ${pts.length} of ${r.points.length}` : ''}` +
          `: ${pts.map((p) => `${label(p)} ${f(p.avg)}${range(p)}`).join('; ')}`,
      );
    }
    return {
      text: lines.join('\n'),
      data: {
        series,
        unit: r.unit,
        from: new Date(r.from).toISOString(),
        to: new Date(r.to).toISOString(),
        resolution: r.resolution,
        stepSeconds: r.stepMs / 1000,
        stepAdjusted: r.stepAdjusted,
        summary: s,
        points: r.points,
        ...(check ? { check } : {}),
      },
    };
  },
});
