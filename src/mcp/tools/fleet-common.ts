import { FleetError, type Fleet } from '../../fleet/index.js';
import { TimeFormatError } from '../../fleet/time.js';
import { roughDuration } from '../../shared/words.js';
import { fitLines } from './text.js';
import { ToolError } from './types.js';

export function requireFleet(fleet: Fleet | undefined): Fleet {
  if (!fleet)
    throw new ToolError('no fleet source is configured (fleet.prometheus.url or fleet.alertmanager.url)', 'NO_FLEET');
  return fleet;
}

/** A source or time-argument failure as a short tool error; anything else unchanged. */
export function asToolError(e: unknown): unknown {
  // An alert or instance the source does not have is the caller's mistake, like an unknown series.
  if (e instanceof FleetError)
    return new ToolError(e.message, e.code === 'FLEET_UNKNOWN_NAME' ? 'UNKNOWN_NAME' : e.code);
  if (e instanceof TimeFormatError) return new ToolError(e.message, 'INVALID_ARGUMENT');
  return e;
}

export function fleetError(e: unknown): never {
  throw asToolError(e);
}

/** "3m ago" / "in 5m" from an ISO time, for text meant for a model. */
export function relative(now: number, iso: string | null | undefined): string {
  if (!iso) return 'unknown';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return 'unknown';
  const d = now - t;
  return d >= 0 ? `${roughDuration(d)} ago` : `in ${roughDuration(-d)}`;
}

/** Labels as `k=v` pairs, leaving out the ones the text already says. */
export function labelText(
  labels: Record<string, string>,
  skip: string[] = ['alertname', 'instance', 'severity', 'job', 'alertstate'],
): string {
  return Object.entries(labels)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${k}=${v.length > 60 ? `${v.slice(0, 57)}…` : v}`)
    .join(' ');
}

/**
 * Lines within a text budget (the structured content has them all): what does not fit, and what was past
 * `limit` in the first place (`omitted`), are counted in one closing line.
 */
export function fitText(
  head: string,
  lines: string[],
  omitted: number,
  budget: number,
  more: (n: number) => string,
): string {
  const fitted = fitLines(lines, budget - head.length - 1, (n) => more(n + omitted));
  const allFit = lines.length === 0 || fitted.at(-1) === lines.at(-1);
  if (allFit && omitted) fitted.push(more(omitted));
  return [head, ...fitted].join('\n');
}
