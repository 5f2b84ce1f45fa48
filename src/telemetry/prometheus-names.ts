/**
 * OpenTelemetry metric names to Prometheus names, after the OTel "Prometheus and OpenMetrics compatibility"
 * rules: dots become underscores, the UCUM unit becomes a base-unit suffix (`By` → `_bytes`, `s` → `_seconds`,
 * `1` on a gauge → `_ratio`), `{annotations}` add nothing, and counters end in `_total`. The exporter's own
 * serializer does none of the unit work, so it is done here before the text is rendered.
 */

const UNIT_WORDS: Record<string, string> = {
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  min: 'minutes',
  h: 'hours',
  d: 'days',
  Hz: 'hertz',
  Cel: 'celsius',
  V: 'volts',
  W: 'watts',
  J: 'joules',
  '%': 'percent',
  m: 'meters',
};

const PER_WORDS: Record<string, string> = { s: 'second', min: 'minute', h: 'hour', d: 'day' };

export type PrometheusKind = 'counter' | 'gauge' | 'histogram';

/**
 * Names that the rules would end in `_count`, which Prometheus reserves for histograms and summaries
 * (`promtool check metrics` flags them). These semconv `.count` gauges are renamed to what they count.
 */
const NAME_OVERRIDES: Record<string, string> = {
  'system.cpu.logical.count': 'system_cpu_logical_cpus',
  'process.unix.file_descriptor.count': 'process_unix_file_descriptors',
};

/** The unit as a name suffix, or '' when it has none (dimensionless counts, `{annotations}`). */
export function unitSuffix(unit: string, kind: PrometheusKind): string {
  const u = unit.replace(/\{[^}]*\}/g, '').trim();
  if (u === '') return '';
  if (u === '1') return kind === 'gauge' ? 'ratio' : '';
  const [num = '', per] = u.split('/');
  const head = num === '' || num === '1' ? '' : (UNIT_WORDS[num] ?? sanitize(num));
  if (per === undefined) return head;
  const tail = PER_WORDS[per] ?? UNIT_WORDS[per] ?? sanitize(per);
  return head ? `${head}_per_${tail}` : `per_${tail}`;
}

function sanitize(name: string): string {
  return name
    .replace(/[^a-zA-Z0-9_:]/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * The Prometheus name of an instrument, without the `_total` a counter gets (the serializer appends that),
 * unless `withTotal` asks for the full name as it appears on /metrics.
 */
export function prometheusName(name: string, unit: string, kind: PrometheusKind, withTotal = false): string {
  let out = NAME_OVERRIDES[name] ?? sanitize(name);
  if (!NAME_OVERRIDES[name]) {
    const suffix = unitSuffix(unit, kind);
    if (suffix && !out.endsWith(`_${suffix}`)) out = `${out}_${suffix}`;
  }
  if (/^[0-9]/.test(out)) out = `_${out}`;
  if (kind === 'counter') {
    out = out.replace(/_total$/, '');
    if (withTotal) out = `${out}_total`;
  }
  return out;
}
