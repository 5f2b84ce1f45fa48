import { sinceText } from '../shared/words.js';
import type { CheckState, StateStatus, Snapshot } from './schema.js';

/** The words every reader uses for a status: MCP text, `vitals check`, the status page. */
export const STATUS_WORD: Record<StateStatus, string> = {
  pass: 'ok',
  warn: 'warning',
  fail: 'failed',
  pending: 'pending',
};

/** A status as a word; anything else (an event's `unknown`, a breaker state) as it is. */
export const statusWord = (x: string): string => STATUS_WORD[x as keyof typeof STATUS_WORD] ?? x;
export const STATUS_ICON: Record<StateStatus, string> = { pass: '✔', warn: '▲', fail: '✖', pending: '…' };

export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '–';
  switch (unit) {
    case 'ratio':
      return `${(value * 100).toFixed(1)}%`;
    case 's':
      return value < 1 ? `${(value * 1000).toFixed(1)}ms` : `${value.toFixed(2)}s`;
    case 'By':
      return formatBytes(value);
    default:
      return `${value}${unit ? ` ${unit}` : ''}`;
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** When the check's current problem began: the first crossing or failed run, else the status change. */
export function problemStart(c: CheckState): number {
  return Date.parse(c.problemSince ?? c.since);
}

/** Thresholds in words: "warn 85.0%, fail 95.0%, for 60s". */
export function thresholdText(c: CheckState): string {
  if (!c.threshold) return '';
  return `warn ${formatValue(c.threshold.warn, c.observedUnit)}, fail ${formatValue(c.threshold.fail, c.observedUnit)}${c.threshold.forSeconds ? `, for ${c.threshold.forSeconds}s` : ''}`;
}

/**
 * One line for a check, for a model: "memory: warning since 14:02:10, 3m ago — memory 83.2% used at or above …".
 * Passing checks are "cpu: ok — 12.4%"; a pending one says it has no result yet.
 */
export function describeCheck(c: CheckState, now: number, options: { thresholds?: boolean } = {}): string {
  const value = formatValue(c.observedValue, c.observedUnit);
  const th = options.thresholds && c.threshold ? ` (${thresholdText(c)})` : '';
  if (c.status === 'pending') return `${c.name}: pending — ${c.output || 'no result yet'}`;
  if (c.status === 'pass') return `${c.name}: ok — ${value}${th}${c.pending ? `; ${c.output}` : ''}`;
  // A failing dependency has no latency to show: no "–" placeholder, the reason says it.
  const shown = c.observedValue === null ? '' : ` — ${value}${th}`;
  return `${c.name}: ${STATUS_WORD[c.status]} since ${sinceText(problemStart(c), now)}${shown}${c.output ? `: ${c.output}` : ''}`;
}

const SEVERITY: Record<CheckState['status'], number> = { fail: 0, warn: 1, pass: 2, pending: 3 };

/** Checks that are failing or warning, or passing with a level crossed and its hold running: worst first. */
export function problemChecks(s: Snapshot): CheckState[] {
  return Object.values(s.checks)
    .filter((c) => c.status === 'fail' || c.status === 'warn' || (c.status === 'pass' && c.pending))
    .sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || a.name.localeCompare(b.name));
}

/** Reasons for everything that is not passing, worst first. */
export function problems(s: Snapshot, now = Date.parse(s.time)): string[] {
  return problemChecks(s).map((c) => describeCheck(c, now));
}

export function countStatuses(checks: Iterable<CheckState>): Record<CheckState['status'], number> {
  const n = { pass: 0, warn: 0, fail: 0, pending: 0 };
  for (const c of checks) n[c.status]++;
  return n;
}

/** "vm is failed (fail): 1 failed, 1 warning, 5 ok, 1 pending of 8 checks" — zero counts left out. */
export function headline(s: Snapshot): string {
  const checks = Object.values(s.checks);
  const n = countStatuses(checks);
  const parts = [
    n.fail && `${n.fail} failed`,
    n.warn && `${n.warn} warning`,
    `${n.pass} ok`,
    n.pending && `${n.pending} pending`,
  ].filter(Boolean);
  return `${s.hostname} is ${STATUS_WORD[s.status]} (${s.status}): ${parts.join(', ')} of ${checks.length === 1 ? '1 check' : `${checks.length} checks`}`;
}
