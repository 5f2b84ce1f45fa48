import { z } from 'zod';
import { MAX_TIMER_MS } from './timers.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/** Parses Prometheus-style durations ("500ms", "5s", "1h30m") into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  if (s === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(s); m; m = PART.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = PART.lastIndex;
  }
  return consumed === s.length ? Math.round(total) : undefined;
}

/** Units a duration is written in, largest first, with their size in seconds. */
export const DURATION_UNITS = [
  ['d', 86400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
] as const;

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of DURATION_UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

/** Longest duration anything accepts: ten years keeps every `now ± duration` a valid date for JavaScript and SQL. */
export const MAX_DURATION_MS = 3660 * 86_400_000;

/** A duration in config: "5s"-style string (or plain milliseconds), parsed to milliseconds, at most ten years. */
export const Duration = z.union([z.string().max(64), z.number().nonnegative()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${v}" (expected e.g. "500ms", "5s", "2m", "1h")` });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({
      code: 'custom',
      message: `duration ${typeof v === 'string' ? `"${v}"` : v} is longer than ${formatDuration(MAX_DURATION_MS)}`,
    });
    return z.NEVER;
  }
  return ms;
});

/**
 * A duration that becomes a timer (an interval, a timeout, a cooldown): at most 2^31-1 ms (about 24.8 days),
 * the longest delay a Node timer keeps; a longer one would fire after 1 ms, over and over.
 */
export const TimerDuration = Duration.refine((ms) => ms <= MAX_TIMER_MS, {
  message: `at most ${formatDuration(MAX_TIMER_MS - (MAX_TIMER_MS % 1000))} (the longest delay a timer can wait)`,
});
