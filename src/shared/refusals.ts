/**
 * Every bound a client can run into, by the name its refusals are counted under
 * (`vitals_limit_refusals_total{limit}`): a fixed set, so a client can never mint a label value.
 */
export const LIMIT_NAMES = [
  'message_bytes',
  'batch_size',
  'pending_requests',
  'duplicate_request_id',
  'subscriptions_per_session',
  'subscriptions_per_principal',
  'uri_bytes',
  'sessions',
  'sessions_per_principal',
  'event_streams',
  'event_streams_per_principal',
  'window',
  'body_bytes',
  'rate_limit',
  'invalid_tokens',
] as const;

export type LimitName = (typeof LIMIT_NAMES)[number];

const counts = new Map<LimitName, number>(LIMIT_NAMES.map((n) => [n, 0]));
let total = 0;

/** Counts one refusal past a bound (process-wide, like the process metrics it sits beside). */
export function countRefusal(limit: LimitName, n = 1): void {
  counts.set(limit, (counts.get(limit) ?? 0) + n);
  total += n;
}

/** Every refusal so far, all limits together: what changes when any count does. */
export function refusalTotal(): number {
  return total;
}

/** Refusals so far, every limit present (zero included) so the series exist before the first refusal. */
export function refusalCounts(): ReadonlyMap<LimitName, number> {
  return counts;
}
