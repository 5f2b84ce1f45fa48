/**
 * Series names. A name is `family` or `family:instance`, the instance being whatever the family is per
 * (a mountpoint, an interface, a check), so names read like the check names the model already knows:
 * `disk.utilization:/var` beside the check `disk:/var`, `check.latency:orders-db` beside `orders-db`.
 */

import { hostCollectors, type AnyHostCollector, type SeriesFamily } from '../monitor/host-view.js';
import { formatBytes, formatValue } from '../shared/format.js';

export type { SeriesFamily };

/** Each host collector's families (in registry order), then the checks' own. */
export const FAMILIES: readonly SeriesFamily[] = [
  ...(hostCollectors as readonly AnyHostCollector[]).flatMap((c) => c.series?.families ?? []),
  { family: 'check.status', unit: 'status', description: "a check's reported status: 0 pass, 1 warn, 2 fail" },
  {
    family: 'check.value',
    unit: 'ratio',
    description: "a host check's observed value (the utilization it is judged on)",
  },
  {
    family: 'check.latency',
    unit: 's',
    description: "a dependency check's response time in seconds (absent while it fails)",
  },
];

const BY_FAMILY = new Map(FAMILIES.map((f) => [f.family, f]));

export function seriesName(family: string, instance?: string): string {
  return instance === undefined ? family : `${family}:${instance}`;
}

/** Splits at the first colon only: check names such as `disk:/var` keep theirs. */
export function parseSeries(name: string): { family: string; instance?: string } {
  const i = name.indexOf(':');
  return i < 0 ? { family: name } : { family: name.slice(0, i), instance: name.slice(i + 1) };
}

function describeSeries(name: string): SeriesFamily | undefined {
  return BY_FAMILY.get(parseSeries(name).family);
}

export function unitOf(name: string): string {
  return describeSeries(name)?.unit ?? '1';
}

/** A value in its series' unit, short, for text meant for a model or a person. */
export function formatSeriesValue(value: number, unit: string): string {
  switch (unit) {
    case 'ratio':
    case 's':
      return formatValue(value, unit);
    case 'By':
    case 'By/s':
      return `${value < 0 ? '-' : ''}${formatBytes(Math.abs(value))}${unit === 'By/s' ? '/s' : ''}`;
    case 'status':
      return value >= 1.5 ? 'fail' : value >= 0.5 ? 'warn' : 'pass';
    default:
      return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
  }
}

/** A rate of change per hour in the series' unit ("+1.2 pp/h" for ratios: percentage points). */
export function formatTrend(perHour: number, unit: string): string {
  const sign = perHour >= 0 ? '+' : '-';
  const v = Math.abs(perHour);
  if (unit === 'ratio') return `${sign}${(v * 100).toFixed(v * 100 >= 1 ? 1 : 3)} pp/h`;
  if (unit === 'status') return `${sign}${v.toFixed(3)}/h`;
  return `${sign}${formatSeriesValue(v, unit)}/h`;
}
