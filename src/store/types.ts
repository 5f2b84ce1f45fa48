import { z } from 'zod';
import type { HealthEvent, ProcessRow } from '../monitor/schema.js';

/** Granularity a query was answered from: raw samples, or 1-minute / 15-minute aggregates. */
export const Resolution = z.enum(['raw', '1m', '15m']);
export type Resolution = z.infer<typeof Resolution>;

export const SeriesSummary = z.object({
  count: z.number().int().describe('samples in the window'),
  min: z.number(),
  avg: z.number(),
  p95: z.number(),
  p95Estimated: z
    .boolean()
    .describe(
      'true when the window was answered from aggregates: p95 is then the count-weighted p95 of bucket averages',
    ),
  max: z.number(),
  last: z.number(),
  firstTime: z.string().describe('ISO time of the first sample (from aggregates, the latest it can have been)'),
  lastTime: z.string().describe('ISO time of the last sample'),
  trendPerHour: z
    .number()
    .nullable()
    .describe(
      'least-squares slope over every sample in the window, in units per hour; null with fewer than two distinct times',
    ),
});
export type SeriesSummary = z.infer<typeof SeriesSummary>;

export const SeriesPoint = z.object({
  time: z.string().describe('ISO start of the step'),
  min: z.number(),
  avg: z.number(),
  max: z.number(),
  count: z.number().int(),
});
export type SeriesPoint = z.infer<typeof SeriesPoint>;

export interface ProcessSnapshot {
  /** ms since epoch of the second reading. */
  time: number;
  /** Why it was taken (the event that triggered it). */
  reason: string;
  /** Sorted by CPU, the top few by CPU and by memory together. */
  processes: ProcessRow[];
}

export interface HistoryQuery {
  series: string;
  /** ms since epoch, inclusive. */
  from: number;
  to: number;
  /** Requested step between points in ms; raised when it would give more than `maxPoints`. */
  step?: number;
  maxPoints?: number;
}

export interface HistoryResult {
  series: string;
  unit: string;
  resolution: Resolution;
  /** Effective window: `from` is aligned down to the resolution's bucket, and clamped to what is retained. */
  from: number;
  to: number;
  stepMs: number;
  /** True when `step` was raised to keep the answer within `maxPoints`. */
  stepAdjusted: boolean;
  /** Null when no sample falls in the window. */
  summary: SeriesSummary | null;
  points: SeriesPoint[];
}

export interface SeriesInfo {
  name: string;
  unit: string;
}

export interface EventQuery {
  sinceMs?: number;
  untilMs?: number;
  check?: string;
  limit?: number;
}

export interface StoreStats {
  kind: 'memory' | 'postgres';
  series: number;
  /** Estimated bytes held in memory by the store (rings, or the write-behind buffer). */
  bytes: number;
  /** Samples waiting to be written (postgres write-behind buffer); 0 for memory. */
  buffered: number;
  /** Samples lost for good: buffer overflow while PostgreSQL was away, or over `maxSeries`. */
  dropped: number;
  /** Samples written to the backing store since start. */
  written: number;
  /** False while PostgreSQL cannot be reached. */
  available: boolean;
  lastError?: string;
}

/**
 * History of the series the monitor samples, and of its events. `append` and `recordEvent` never block
 * or throw: the monitor's snapshot path must not wait on storage.
 */
export interface History {
  readonly kind: 'memory' | 'postgres';
  start(): Promise<void>;
  append(time: number, values: ReadonlyArray<readonly [series: string, value: number]>): void;
  recordEvent(event: HealthEvent): void;
  query(q: HistoryQuery): Promise<HistoryResult>;
  series(): Promise<SeriesInfo[]>;
  /** Newest first. */
  events(q?: EventQuery): Promise<HealthEvent[]>;
  recordProcesses(snapshot: ProcessSnapshot): void;
  /** The process snapshot taken closest to `time`, if one is within `withinMs` of it. */
  processesNear(time: number, withinMs: number): ProcessSnapshot | undefined;
  stats(): StoreStats;
  /** Writes out whatever is buffered (postgres); resolves when done or when the store is unreachable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A query for a series the store has never seen; `known` lets the caller list what exists. */
export class UnknownSeriesError extends Error {
  readonly code = 'UNKNOWN_SERIES';
  constructor(
    readonly series: string,
    readonly known: string[],
  ) {
    super(`unknown series "${series}"`);
  }
}

/** The backing store cannot answer (PostgreSQL away); samples keep being buffered meanwhile. */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
}

/** A query no store could answer (a range outside any date, a bad limit): the caller's mistake, never an outage. */
export class InvalidQueryError extends Error {
  readonly code = 'INVALID_QUERY';
}

/** Latest time a query may reach: a day past now is generous for clock skew and still a valid date everywhere. */
const FUTURE_SLACK_MS = 86_400_000;

/**
 * Checked before any store touches SQL or loops over buckets: finite times, in order, not before the epoch
 * and not far in the future; `maxPoints`, `step` and `limit` positive and bounded.
 */
export function validateRange(
  q: { from?: number; to?: number; step?: number; maxPoints?: number; limit?: number },
  now: number,
): void {
  const bad = (what: string) => {
    throw new InvalidQueryError(`invalid history query: ${what}`);
  };
  for (const [name, t] of [
    ['from', q.from],
    ['to', q.to],
  ] as const) {
    if (t === undefined) continue;
    if (!Number.isFinite(t)) bad(`${name} is not a time`);
    if (t < 0) bad(`${name} is before 1970`);
    if (t > now + FUTURE_SLACK_MS) bad(`${name} is in the future`);
  }
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) bad('from is after to');
  if (q.step !== undefined && !(Number.isFinite(q.step) && q.step > 0)) bad('step must be a positive duration');
  if (q.maxPoints !== undefined && !(Number.isInteger(q.maxPoints) && q.maxPoints >= 1 && q.maxPoints <= 100_000))
    bad('maxPoints must be 1..100000');
  if (q.limit !== undefined && !(Number.isInteger(q.limit) && q.limit >= 1 && q.limit <= 100_000))
    bad('limit must be 1..100000');
}
