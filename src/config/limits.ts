import { z } from 'zod';
import { countRefusal } from '../shared/refusals.js';
import { formatDuration, parseDuration } from '../shared/duration.js';
import { PARSE_ONCE } from './parse-once.js';

const MiB = 1024 * 1024;
const count = (min: number, max: number, dflt: number) => z.number().int().min(min).max(max).default(dflt);

/**
 * Bounds on everything a client can make the daemon hold: past each, a clear error and a count in
 * `vitals_limit_refusals_total{limit}`. Sessions and the HTTP body keep their keys under `http:`.
 */
export const LimitsConfig = z
  .object({
    /** Largest JSON-RPC message over stdio (one line); a longer line is answered -32600 and dropped. */
    messageBytes: count(64 * 1024, 64 * MiB, 4 * MiB),
    /** Messages in one JSON-RPC batch (HTTP). */
    batchSize: count(1, 10_000, 100),
    /** Requests one session (or the stdio client) may have unanswered at once. */
    pendingRequests: count(1, 10_000, 100),
    /** resources/subscribe: distinct URIs one session may hold. */
    subscriptionsPerSession: count(1, 100_000, 100),
    /** resources/subscribe: distinct URIs one principal may hold across all its sessions. */
    subscriptionsPerPrincipal: count(1, 1_000_000, 1000),
    /** Longest resource URI accepted, in bytes (read, subscribe, unsubscribe). */
    uriBytes: count(64, 64 * 1024, 2048),
    /** Live status-page streams (/events) at once, and per principal. */
    eventStreams: count(1, 100_000, 100),
    eventStreamsPerPrincipal: count(1, 10_000, 10),
    /** Invalid bearer tokens one address may present per minute before further invalid ones get 429. */
    invalidTokensPerMinute: count(1, 1_000_000, 100),
  })
  .strict();

export type LimitsConfig = z.infer<typeof LimitsConfig>;
export const LIMITS_DEFAULTS: LimitsConfig = LimitsConfig.parse({}, PARSE_ONCE);

/** Longest look-back any tool accepts: a year and a day, past every default retention. */
export const WINDOW_MAX_MS = 366 * 86_400_000;
const WINDOW_MIN_MS = 1000;

/** Tool argument naming another host by its Prometheus instance label, bounded as a DNS name is (253). */
export const InstanceArg = z.string().min(1).max(253);

/** Tool argument for a look-back window ("15m", "6h", "7d"), bounded so no store is ever asked for year -25000. */
export const WindowArg = z
  .string()
  .max(32, 'a window is a short duration such as "15m", "6h" or "7d"')
  .superRefine((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < WINDOW_MIN_MS)
      ctx.addIssue({ code: 'custom', message: `invalid window "${text}": give a duration such as 15m, 6h or 7d` });
    else if (ms > WINDOW_MAX_MS) {
      countRefusal('window');
      ctx.addIssue({
        code: 'custom',
        message: `window "${text}" is longer than the limit of ${formatDuration(WINDOW_MAX_MS)}`,
      });
    }
  });
