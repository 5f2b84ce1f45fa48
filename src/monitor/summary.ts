import { formatValue } from '../shared/format.js';
import { countStatuses, STATUS_WORD, WORST_FIRST } from '../shared/status.js';
import { sinceText } from '../shared/words.js';
import type { CheckState, Snapshot } from './schema.js';

/** When the check's current problem began: the first crossing or failed run, else the status change. */
export function problemStart(c: CheckState): number {
  return Date.parse(c.problemSince ?? c.since);
}

/** Thresholds in words: "warn 85.0%, fail 95.0%, for 60s". */
function thresholdText(c: CheckState): string {
  if (!c.threshold) return '';
  return (
    `warn ${formatValue(c.threshold.warn, c.observedUnit)}, fail ${formatValue(c.threshold.fail, c.observedUnit)}` +
    `${c.threshold.forSeconds ? `, for ${c.threshold.forSeconds}s` : ''}`
  );
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
  return (
    `${c.name}: ${STATUS_WORD[c.status]} since ${sinceText(problemStart(c), now)}` +
    `${shown}${c.output ? `: ${c.output}` : ''}`
  );
}

/** Checks that are failing or warning, or passing with a level crossed and its hold running: worst first. */
export function problemChecks(s: Snapshot): CheckState[] {
  return Object.values(s.checks)
    .filter((c) => c.status === 'fail' || c.status === 'warn' || (c.status === 'pass' && c.pending))
    .sort((a, b) => WORST_FIRST[a.status] - WORST_FIRST[b.status] || a.name.localeCompare(b.name));
}

/** Reasons for everything that is not passing, worst first. */
export function problems(s: Snapshot, now = Date.parse(s.time)): string[] {
  return problemChecks(s).map((c) => describeCheck(c, now));
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
  return (
    `${s.hostname} is ${STATUS_WORD[s.status]} (${s.status}): ${parts.join(', ')} ` +
    `of ${checks.length === 1 ? '1 check' : `${checks.length} checks`}`
  );
}
