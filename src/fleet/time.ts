import { formatDuration, parseDuration } from '../shared/duration.js';
import { countRefusal } from '../shared/refusals.js';

/** A time argument that is none of the accepted forms; the message lists them. */
export class TimeFormatError extends Error {
  readonly code = 'INVALID_ARGUMENT';
}

const FORMS = 'ISO-8601 (2026-01-31T12:00:00Z), Unix seconds (1767225600), "now", "now-1h" or "-30m"';
/** 2000-01-01 and 2100-01-01: a Unix time outside is a unit mistake (milliseconds) or a made-up date. */
const MIN_S = 946_684_800;
const MAX_S = 4_102_444_800;
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A time argument as milliseconds since the epoch: ISO-8601, Unix seconds, `now`, `now-1h`, `now+5m` or
 * `-30m` (relative to `now`). Models send stale absolute dates, so relative forms are the ones to use; an
 * absolute time is still taken as given.
 */
export function parseTime(input: string | number, now: number): number {
  if (typeof input === 'number') return fromUnixSeconds(input, String(input));
  const text = input.trim();
  if (text === '') throw new TimeFormatError(`empty time; give ${FORMS}`);
  if (/^now$/i.test(text)) return now;
  const rel = /^(?:now)?\s*([+-])\s*(\S+)$/i.exec(text);
  if (rel && (/^now/i.test(text) || rel[1] === '-')) {
    const ms = parseDuration(rel[2]!);
    if (ms === undefined) throw new TimeFormatError(`invalid duration in "${text}"; give e.g. now-1h, -30m, now-2d`);
    return rel[1] === '-' ? now - ms : now + ms;
  }
  if (/^\d+(\.\d+)?$/.test(text)) return fromUnixSeconds(Number(text), text);
  if (ISO.test(text)) {
    // A date-time without a zone is read as UTC, not as the daemon's local time.
    const withZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) || !text.includes(':') ? text : `${text}Z`;
    const t = Date.parse(withZone.replace(' ', 'T'));
    // Date.parse rolls 2026-02-30 over into March: a date that does not exist is refused instead.
    const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
    if (Number.isFinite(t) && new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d) return t;
  }
  throw new TimeFormatError(`invalid time "${text.slice(0, 60)}"; give ${FORMS}`);
}

function fromUnixSeconds(s: number, text: string): number {
  if (!Number.isFinite(s) || s < MIN_S || s > MAX_S)
    throw new TimeFormatError(
      `time ${text} is outside 2000..2100 as Unix seconds (milliseconds given?); give ${FORMS}`,
    );
  return Math.round(s * 1000);
}

/** A window given by `from`/`to` (any of the forms) or by its length back from now. */
export function parseRange(
  args: { from?: string | undefined; to?: string | undefined; window?: string | undefined },
  now: number,
  defaultWindowMs: number,
  maxWindowMs: number,
): { from: number; to: number } {
  const to = args.to !== undefined ? parseTime(args.to, now) : now;
  let from: number;
  if (args.from !== undefined) from = parseTime(args.from, now);
  else if (args.window !== undefined) {
    const ms = parseDuration(args.window);
    if (ms === undefined || ms < 1000)
      throw new TimeFormatError(`invalid window "${args.window}"; give a duration such as 15m, 6h or 7d`);
    from = to - ms;
  } else from = to - defaultWindowMs;
  if (from >= to)
    throw new TimeFormatError(
      `the window is empty: from ${new Date(from).toISOString()} is not before to ${new Date(to).toISOString()}`,
    );
  if (to - from > maxWindowMs) {
    countRefusal('window');
    throw new TimeFormatError(`the window is longer than the limit of ${formatDuration(maxWindowMs)}; narrow it`);
  }
  return { from, to };
}
