import { z } from 'zod';
import type { CheckState, CheckStatus, HealthEvent } from '../monitor/schema.js';
import type { ProcessSnapshot } from '../store/types.js';

/**
 * Plain inputs of the analysis: no store, no MCP, no clock of its own. The local history and a Prometheus
 * source both reduce to these, so both get the same incidents and the same findings.
 */

/** One point of a series: a raw sample (count 1) or a bucket of several (min/avg/max over `count`). */
interface SeriesPointIn {
  /** ms since epoch: the sample time, or the bucket's start. */
  time: number;
  min: number;
  avg: number;
  max: number;
  count: number;
}

/** What a store already computed over the whole window; derived from the points when absent. */
export interface SeriesStats {
  count: number;
  /** ms of the first sample (for aggregates, the latest it can have been: a span is never overstated). */
  firstTime: number;
  lastTime: number;
  last: number;
  /** Least-squares slope over every sample, units per hour; null when there is none. */
  trendPerHour: number | null;
}

export interface SeriesData {
  unit: string;
  /** Oldest first. */
  points: SeriesPointIn[];
  /** Width of a point's bucket in ms (0 or absent for raw samples). */
  stepMs?: number;
  stats?: SeriesStats;
}

export interface AnalysisInput {
  now: number;
  windowMs: number;
  hostname: string;
  /** The overall status, exactly as health_check reports it. */
  status: CheckStatus;
  checks: readonly CheckState[];
  /** Status and breaker events covering the window and the hour before it, any order. */
  events: readonly HealthEvent[];
  /** Sampling interval of each check in ms; `defaultIntervalMs` for any not listed (host checks). */
  intervals: Readonly<Record<string, number>>;
  defaultIntervalMs: number;
  /** Series by name (`cpu.utilization`, `disk.utilization:/`, `check.value:cpu`, `check.latency:db`, …). */
  series: Readonly<Record<string, SeriesData>>;
  /** Process tables captured when checks went bad. */
  processes: readonly ProcessSnapshot[];
  /** Only this check's incidents and findings (disk-full ETAs are still reported). */
  check?: string;
}

export const Incident = z.object({
  check: z.string(),
  status: z.enum(['warn', 'fail']).describe('the worst status reached'),
  start: z
    .string()
    .nullable()
    .describe(
      'ISO time the problem began (the value first crossed the level, or the ' +
        'first failed run); null when it began before the recorded events',
    ),
  reportedAt: z.string().nullable().describe('ISO time the status turned (after `for:` holds or failure thresholds)'),
  end: z.string().nullable().describe('ISO time it ended (the first good run or sample); null while ongoing'),
  ongoing: z.boolean(),
  durationSeconds: z
    .number()
    .nullable()
    .describe('from start to end (or to now while ongoing); null when the start is unknown'),
  reason: z.string(),
  peak: z
    .object({ value: z.number(), unit: z.string() })
    .nullable()
    .describe('highest observed value (latency or utilization) during the incident; null when none was recorded'),
  before: z
    .array(z.string())
    .describe(
      "what moved in the 15 minutes before it began: other checks' transitions and resource changes, one sentence each",
    ),
  processes: z
    .object({
      time: z.string(),
      top: z.array(z.object({ name: z.string(), pid: z.number(), cpuPercent: z.number(), rssBytes: z.number() })),
    })
    .nullable()
    .describe('the process table captured nearest its start (within 2 minutes), top 5 by CPU; null when none was'),
});
export type Incident = z.infer<typeof Incident>;

export const Finding = z.object({
  kind: z.enum([
    'incident',
    'pending',
    'shared_start',
    'preceded_by',
    'resource_change',
    'processes',
    'disk_full_eta',
    'missing_evidence',
    'all_clear',
  ]),
  severity: z.enum(['fail', 'warn', 'info']),
  check: z.string().optional().describe('the check the finding is about'),
  time: z.string().optional().describe('ISO time it began or happened'),
  text: z.string().describe('the finding in one sentence'),
  figures: z
    .record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]))
    .describe('the numbers behind the finding'),
});
export type Finding = z.infer<typeof Finding>;

export const Analysis = z.object({
  time: z.string(),
  windowSeconds: z.number(),
  status: z.enum(['pass', 'warn', 'fail']),
  headline: z.string().describe('agrees with health_check: the same overall status and counts'),
  incidents: z.array(Incident).describe('problems that were ongoing or ended inside the window, oldest first'),
  findings: z.array(Finding).describe('most important first'),
});
export type Analysis = z.infer<typeof Analysis>;
