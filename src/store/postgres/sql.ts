import type { Bucket } from '../aggregate.js';

/**
 * Per-bucket aggregate columns over raw samples, bucketed by the interval parameter `res` from the epoch
 * (τ in seconds from the bucket's start).
 */
export const RAW_AGG = (s: string, res: string, where: string) => `
  SELECT series_id, b AS bucket, count(*)::int AS count, min(value) AS min, max(value) AS max, sum(value) AS sum,
         (array_agg(value ORDER BY time DESC))[1] AS last, max(tau) AS last_t,
         sum(tau) AS sum_t, sum(tau * tau) AS sum_tt, sum(tau * value) AS sum_tv, sum(value * value) AS sum_vv
  FROM (SELECT series_id, time, value, date_bin(${res}::interval, time, timestamptz 'epoch') AS b,
               extract(epoch FROM time - date_bin(${res}::interval, time, timestamptz 'epoch'))::float8 AS tau
        FROM ${s}.samples WHERE ${where}) x
  GROUP BY series_id, b`;

/** The columns of an aggregate table, in the order RAW_AGG selects them. */
export const BUCKET_COLUMNS = 'series_id, bucket, count, min, max, sum, last, last_t, sum_t, sum_tt, sum_tv, sum_vv';

/** An upsert's SET list: a re-run roll-up replaces a bucket with its recomputed value. */
export const BUCKET_SET = ['count', 'min', 'max', 'sum', 'last', 'last_t', 'sum_t', 'sum_tt', 'sum_tv', 'sum_vv']
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

/** An aggregate row as the reader selects it (`start` in ms). */
export interface BucketRow {
  start: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  last: number;
  last_t: number;
  sum_t: number;
  sum_tt: number;
  sum_tv: number;
  sum_vv: number;
}

export const toBucket = (r: BucketRow): Bucket => ({
  start: r.start,
  count: r.count,
  min: r.min,
  max: r.max,
  sum: r.sum,
  last: r.last,
  lastT: r.last_t,
  sumT: r.sum_t,
  sumTT: r.sum_tt,
  sumTV: r.sum_tv,
  sumVV: r.sum_vv,
});

export const interval = (ms: number) => `${ms} milliseconds`;
export const iso = (ms: number) => new Date(ms).toISOString();
