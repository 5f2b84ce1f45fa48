/** Numbers with their unit for a person or a model: what the store, the analysis, tools and the status page print. */

/** A value in its OTel unit: ratios as percentages, seconds below one as milliseconds, bytes in binary units. */
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
