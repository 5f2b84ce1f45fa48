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
  /** Recorded since the last rendering. */
  pending: boolean;
  /** A sum's increment since the last rendering, or a histogram's recordings since it (zeroed by it). */
  readonly delta: Buckets | { value: number };
  /** What the page shows; undefined until the first rendering after the first recording. */
  shown: Buckets | { value: number } | undefined;
  /** Each line up to its value (`name{labels} `), built once: count, sum and buckets for a histogram. */
  heads: readonly string[] | undefined;
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
        const delta =
          this.spec.kind === 'histogram'
            ? { count: 0, sum: 0, counts: new Array<number>(this.les.length).fill(0) }
            : { value: 0 };
        s = { attributes, pending: false, delta, shown: undefined, heads: undefined, text: '' };
        this.series.set(key, s);
      }
      if (Object.isFrozen(attributes)) this.byObject.set(attributes, s);
    }
    this.dirty = true;
    s.pending = true;
    const d = s.delta;
    if (!('counts' in d)) {
      d.value += value;
      return;
    }
    // A NaN recording still makes the series (as the SDK's does), with nothing counted.
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
      if (s.pending) {
        s.pending = false;
        s.shown = s.shown === undefined ? takeCopy(s.delta) : mergeInto(s.shown, s.delta);
        s.heads ??= this.heads(s.attributes, 'counts' in s.delta);
        s.text = lines(s.heads, s.shown);
      }
      out += s.text;
    }
    this.text = out && this.header + out;
    return this.text;
  }

  private heads(attributes: Attributes, histogram: boolean): string[] {
    const l = labels(attributes);
    const braced = l ? `{${l}}` : '';
    if (!histogram) return [`${this.name}${braced} `];
    const bucket = `${this.name}_bucket{${l ? `${l},` : ''}`;
    return [`${this.name}_count${braced} `, `${this.name}_sum${braced} `, ...this.les.map((le) => `${bucket}${le}} `)];
  }
}

function lines(heads: readonly string[], shown: Buckets | { value: number }): string {
  if (!('counts' in shown)) return `${heads[0]}${valueString(shown.value)}\n`;
  let out = `${heads[0]}${valueString(shown.count)}\n${heads[1]}${valueString(shown.sum)}\n`;
  let cumulative = 0;
  for (let i = 0; i < shown.counts.length; i++) {
    cumulative += shown.counts[i]!;
    out += `${heads[i + 2]}${valueString(cumulative)}\n`;
  }
  return out;
}

/** The delta as the first shown value, and the delta zeroed for the next recordings. */
function takeCopy(delta: Buckets | { value: number }): Buckets | { value: number } {
  const shown = 'counts' in delta ? { count: delta.count, sum: delta.sum, counts: [...delta.counts] } : { ...delta };
  zero(delta);
  return shown;
}

/** shown + delta, with the SDK's floating-point steps (bucket by bucket), in place; the delta zeroed. */
function mergeInto(
  shown: Buckets | { value: number },
  delta: Buckets | { value: number },
): Buckets | { value: number } {
  if (!('counts' in shown) || !('counts' in delta))
    (shown as { value: number }).value += (delta as { value: number }).value;
  else {
    shown.count += delta.count;
    shown.sum += delta.sum;
    for (let i = 0; i < shown.counts.length; i++) shown.counts[i]! += delta.counts[i]!;
  }
  zero(delta);
  return shown;
}

function zero(delta: Buckets | { value: number }): void {
  if (!('counts' in delta)) {
    delta.value = 0;
    return;
  }
  delta.count = 0;
  delta.sum = 0;
  delta.counts.fill(0);
}
