/**
 * Status order and words, one copy for every layer: the monitor folds statuses with `worst`, telemetry and the
 * store record `STATUS_RANK`, `vitals check` exits with it, and every reader words and sorts statuses alike.
 * The zod enums (`CheckStatus`, `StateStatus` in monitor/schema.ts) spell the same words.
 */

/** A verdict on a result, best first (IETF health+json words). */
export const VERDICTS = ['pass', 'warn', 'fail'] as const;
type Verdict = (typeof VERDICTS)[number];
/** What a check shows: a verdict, or `pending` while it has no result yet (never counted as passing). */
export type ShownStatus = Verdict | 'pending';

/** A verdict as a number: `vitals_check_status`, the `check.status` series and the exit code of `vitals check`. */
export const STATUS_RANK: Readonly<Record<Verdict, number>> = { pass: 0, warn: 1, fail: 2 };

/** The verdict a recorded number stands for; a bucket's average rounds to the nearest. */
export function verdictOfRank(v: number): Verdict {
  return VERDICTS[Math.max(0, Math.min(VERDICTS.length - 1, Math.round(v)))]!;
}

export const worst = (a: Verdict, b: Verdict): Verdict => (STATUS_RANK[a] >= STATUS_RANK[b] ? a : b);

/** Order of lists a person reads: failing first, then warning, pending, passing. */
export const WORST_FIRST: Readonly<Record<ShownStatus, number>> = { fail: 0, warn: 1, pending: 2, pass: 3 };

/** The words every reader uses for a status: MCP text, `vitals check`, the status page. */
export const STATUS_WORD: Readonly<Record<ShownStatus, string>> = {
  pass: 'ok',
  warn: 'warning',
  fail: 'failed',
  pending: 'pending',
};

/** A status as a word; anything else (an event's `unknown`, a breaker state) as it is. */
export const statusWord = (x: string): string => STATUS_WORD[x as ShownStatus] ?? x;

export const STATUS_ICON: Readonly<Record<ShownStatus, string>> = { pass: '✔', warn: '▲', fail: '✖', pending: '…' };

export function countStatuses(items: Iterable<{ status: ShownStatus }>): Record<ShownStatus, number> {
  const n = { pass: 0, warn: 0, fail: 0, pending: 0 };
  for (const c of items) n[c.status]++;
  return n;
}
