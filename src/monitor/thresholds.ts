import type { CheckStatus } from './schema.js';

export interface Threshold {
  warn: number;
  fail: number;
  /** How long (ms) a level must hold before the status reports it. */
  for: number;
}

/** When the value first crossed each level, in an unbroken run of observations. */
export interface HoldState {
  warnSince?: number;
  failSince?: number;
}

export interface ThresholdResult {
  status: CheckStatus;
  /** The level the value is at now, before `for` is applied. */
  raw: CheckStatus;
  hold: HoldState;
  /** Set when the value is above the reported level but has not held it for `for` yet. */
  pending?: { status: CheckStatus; since: number };
}

export function levelOf(value: number, t: Threshold): CheckStatus {
  if (value >= t.fail) return 'fail';
  if (value >= t.warn) return 'warn';
  return 'pass';
}

/**
 * Prometheus `for:` semantics: a level is reported once the value has stayed at or above it for `for`;
 * the status drops back as soon as the value does. A missing value (null) resets the holds and passes.
 */
export function evaluateThreshold(value: number | null, t: Threshold, prev: HoldState, now: number): ThresholdResult {
  if (value === null || !Number.isFinite(value)) return { status: 'pass', raw: 'pass', hold: {} };
  const raw = levelOf(value, t);
  const hold: HoldState = {};
  if (raw !== 'pass') hold.warnSince = prev.warnSince ?? now;
  if (raw === 'fail') hold.failSince = prev.failSince ?? now;
  const held = (since: number | undefined) => since !== undefined && now - since >= t.for;
  const status: CheckStatus = held(hold.failSince) ? 'fail' : held(hold.warnSince) ? 'warn' : 'pass';
  if (status === raw) return { status, raw, hold };
  const since = raw === 'fail' ? hold.failSince! : hold.warnSince!;
  return { status, raw, hold, pending: { status: raw, since } };
}

export interface RunStreak {
  status: CheckStatus | undefined;
  failures: number;
  successes: number;
}

/**
 * gatus-style consecutive thresholds for dependency checks: the reported status turns fail only after
 * `failureThreshold` failed runs in a row, and back only after `successThreshold` good runs in a row.
 * The first run is reported as it is, since there is no earlier state to hold. A warn run (up, but slow
 * or near a limit) counts as up.
 */
export function foldRun(
  prev: RunStreak,
  run: CheckStatus,
  failureThreshold: number,
  successThreshold: number,
): RunStreak {
  const failed = run === 'fail';
  const failures = failed ? prev.failures + 1 : 0;
  const successes = failed ? 0 : prev.successes + 1;
  let status = prev.status;
  if (status === undefined) status = run;
  else if (status === 'fail') status = !failed && successes >= successThreshold ? run : 'fail';
  else status = failed ? (failures >= failureThreshold ? 'fail' : status) : run;
  return { status, failures, successes };
}
