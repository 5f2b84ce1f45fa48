import type { Attributes } from '@opentelemetry/api';
import type { InstrumentSpec } from './catalogue.js';
import { prometheusName } from './prometheus-names.js';
import { labels, metricHeader, sampleName, valueString } from './serializer.js';

interface Buckets {
  count: number;
  sum: number;
  counts: number[];
}

interface Series {
  /** The attributes the series was first recorded with (their order is the labels' order). */
  readonly attributes: Attributes;
  /** Recorded since the last rendering; undefined when nothing was. */
  delta: Buckets | number | undefined;
  /** What the page shows; undefined until the first rendering after the first recording. */
  shown: Buckets | number | undefined;
  text: string;
}

/** The SDK's series identity: the attributes whatever their order. */
function identity(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  keys.sort();
  return JSON.stringify(keys.map((k) => [k, attributes[k]]));
}

/** Index of the first boundary at or above the value (the bucket it falls in); past the last, the +Inf one. */
function bucketOf(boundaries: readonly number[], value: number): number {
  let lo = 0;
  let hi = boundaries.length - 1;
  let found = boundaries.length;
  while (hi >= lo) {
    const mid = lo + Math.trunc((hi - lo) / 2);
    if (boundaries[mid]! < value) lo = mid + 1;
    else {
      found = mid;
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * One recorded instrument (histogram, counter or up-down counter) as the /metrics page shows it: what the SDK's
 * cumulative Prometheus reader collected and our serializer wrote, byte for byte (a test holds it), without the
 * collection. Recordings add to a delta; a rendering merges each delta into the shown value with the SDK's
 * floating-point steps (shown + delta, bucket by bucket), keeps series in first-recorded order, and rewrites only
 * the lines of series recorded since. Past 1,999 series the SDK folds further ones into an overflow series;
 * this does not (no instrument of ours comes near: their labels are bounded by the config).
 */
export class RecordedFamily {
  private readonly series = new Map<string, Series>();
  /**
   * Series by attributes object, for callers that record with the same frozen object every time (a check's
   * probe runs): their series is then found without hashing the attributes, which was most of a record.
   */
  private readonly byObject = new WeakMap<Attributes, Series>();
  private readonly header: string;
  private readonly name: string;
  private readonly boundaries: readonly number[];
  private readonly les: readonly string[];
  private dirty = false;
  private text = '';

  constructor(private readonly spec: InstrumentSpec) {
    const type = spec.kind === 'histogram' ? 'histogram' : spec.kind === 'counter' ? 'counter' : 'gauge';
    this.name = sampleName(
      prometheusName(spec.name, spec.unit, spec.kind === 'histogram' ? 'histogram' : type),
      spec.kind === 'counter',
    );
    this.header = metricHeader(this.name, spec.description, type);
    this.boundaries = spec.buckets ?? [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
    this.les = [...this.boundaries.map((b) => `le="${String(b)}"`), 'le="+Inf"'];
  }

  /** A histogram recording or a sum's increment; refused as the SDK refuses it (negative where not allowed). */
  record(value: number, attributes: Attributes = {}): void {
    if (value < 0 && this.spec.kind !== 'updowncounter') return;
    let s = this.byObject.get(attributes);
    if (!s) {
      const key = identity(attributes);
      s = this.series.get(key);
      if (!s) {
        s = { attributes, delta: undefined, shown: undefined, text: '' };
        this.series.set(key, s);
      }
      if (Object.isFrozen(attributes)) this.byObject.set(attributes, s);
    }
    this.dirty = true;
    if (this.spec.kind !== 'histogram') {
      s.delta = ((s.delta as number | undefined) ?? 0) + value;
      return;
    }
    s.delta ??= { count: 0, sum: 0, counts: new Array<number>(this.les.length).fill(0) };
    const d = s.delta as Buckets;
    if (Number.isNaN(value)) return;
    d.count += 1;
    d.sum += value;
    d.counts[bucketOf(this.boundaries, value)]! += 1;
  }

  /** The family's text (empty while it has no series), with every recording so far merged in. */
  render(): string {
    if (!this.dirty) return this.text;
    this.dirty = false;
    let out = '';
    for (const s of this.series.values()) {
      if (s.delta !== undefined) {
        s.shown = s.shown === undefined ? s.delta : merge(s.shown, s.delta);
        s.delta = undefined;
        s.text = this.lines(s);
      }
      out += s.text;
    }
    this.text = out && this.header + out;
    return this.text;
  }

  private lines(s: Series): string {
    const l = labels(s.attributes);
    if (typeof s.shown === 'number') return `${this.name}${l ? `{${l}}` : ''} ${valueString(s.shown)}\n`;
    const h = s.shown as Buckets;
    const braced = l ? `{${l}}` : '';
    let out = `${this.name}_count${braced} ${valueString(h.count)}\n${this.name}_sum${braced} ${valueString(h.sum)}\n`;
    const prefix = `${this.name}_bucket{${l ? `${l},` : ''}`;
    let cumulative = 0;
    for (let i = 0; i < h.counts.length; i++) {
      cumulative += h.counts[i]!;
      out += `${prefix}${this.les[i]}} ${valueString(cumulative)}\n`;
    }
    return out;
  }
}

function merge(shown: Buckets | number, delta: Buckets | number): Buckets | number {
  if (typeof shown === 'number') return shown + (delta as number);
  const d = delta as Buckets;
  return {
    count: shown.count + d.count,
    sum: shown.sum + d.sum,
    counts: shown.counts.map((c, i) => c + d.counts[i]!),
  };
}
