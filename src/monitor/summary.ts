import type { CheckState, CheckStatus, Snapshot } from './schema.js';

/** The words every reader uses for a status: MCP text, `vitals check`, the status page. */
export const STATUS_WORD: Record<CheckStatus, string> = { pass: 'ok', warn: 'warning', fail: 'failed' };
export const STATUS_ICON: Record<CheckStatus, string> = { pass: '✔', warn: '▲', fail: '✖' };

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

/** "memory: warning — 83.2% (warn 80%, fail 90%, for 60s): memory 83.2% used at or above …" */
export function describeCheck(c: CheckState): string {
  const value = formatValue(c.observedValue, c.observedUnit);
  const th = c.threshold ? ` (warn ${formatValue(c.threshold.warn, c.observedUnit)}, fail ${formatValue(c.threshold.fail, c.observedUnit)}${c.threshold.forSeconds ? `, for ${c.threshold.forSeconds}s` : ''})` : '';
  return `${c.name}: ${STATUS_WORD[c.status]} — ${value}${th}${c.output ? `: ${c.output}` : ''}`;
}

/** Reasons for everything that is not passing, worst first. */
export function problems(s: Snapshot): string[] {
  return Object.values(s.checks)
    .filter((c) => c.status !== 'pass' || c.pending)
    .sort((a, b) => (a.status === b.status ? a.name.localeCompare(b.name) : a.status === 'fail' ? -1 : b.status === 'fail' ? 1 : a.status === 'warn' ? -1 : 1))
    .map((c) => `${c.name} ${STATUS_WORD[c.status]}: ${c.output || 'no detail'}`);
}

export function headline(s: Snapshot): string {
  const checks = Object.values(s.checks);
  const count = (st: CheckStatus) => checks.filter((c) => c.status === st).length;
  return `${s.hostname} is ${STATUS_WORD[s.status]} (${s.status}): ${count('pass')} ok, ${count('warn')} warning, ${count('fail')} failed of ${checks.length} checks`;
}
