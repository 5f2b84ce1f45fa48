import type { Attributes, Emit, InstrumentSpec, ObservedName } from './catalogue.js';
import { prometheusName } from './prometheus-names.js';
import { labels, metricHeader, sampleName, valueString } from './serializer.js';

interface Series {
  /** `name{labels} `: the sample line up to its value. */
  readonly prefix: string;
  /** The value the page shows (a counter's running sum, as the SDK keeps it). */
  shown: number;
  /** The last observed value, which a counter's next observation is diffed against. */
  last: number;
  /** Observed in the current pass (the last observation of a pass wins, as in the SDK's callback buffer). */
  pass: number;
  next: number;
  line: string;
}

interface Family {
  readonly header: string;
  readonly name: string;
  readonly kind: InstrumentSpec['kind'];
  /** Every series ever observed, in first-seen order; one not observed again keeps its last value. */
  readonly series: Series[];
  /** The same series by their attributes. */
  readonly index: Node;
  /** The family's text while none of its lines changed. */
  text: string | undefined;
}

/**
 * Series by attributes: a step per attribute, by key then value, in the order the emit site gives them. Finding
 * a series builds no string (a joined key had to be built and hashed for every observation of every pass).
 */
interface Node {
  series?: Series;
  next?: Map<string, Map<string, Node>>;
}

function nodeOf(root: Node, attributes: Attributes | undefined): Node {
  let node = root;
  if (attributes)
    for (const k in attributes) {
      node.next ??= new Map();
      let byValue = node.next.get(k);
      if (!byValue) {
        byValue = new Map();
        node.next.set(k, byValue);
      }
      const v = attributes[k]!;
      let child = byValue.get(v);
      if (!child) {
        child = {};
        byValue.set(v, child);
      }
      node = child;
    }
  return node;
}

const typeOf = (kind: InstrumentSpec['kind']): 'counter' | 'gauge' => (kind === 'counter' ? 'counter' : 'gauge');

/**
 * The observed instruments' Prometheus text, rendered straight from the observations: the page used to run them
 * through the SDK's collection (attribute hashing, cumulative merges, point objects) and then serialize the
 * points, which at a 15 s scrape was most of a scrape's CPU. OTLP still reads the OpenTelemetry instruments.
 * The text is what the SDK's cumulative reader and our serializer write, byte for byte (a test holds it): a
 * series keeps its first-seen place and, once seen, stays with its last value; a counter shows its running sum
 * of differences (reset when it goes down), with the same floating-point steps. Unchanged series reuse their
 * line, unchanged families their text.
 */
export class ObservedFamilies {
  private readonly families: Family[];
  private readonly byName = new Map<ObservedName, Family>();
  private pass = 0;
  private readonly emit: Emit = (name, value, attributes) => this.observe(name, value, attributes);

  constructor(specs: readonly InstrumentSpec[]) {
    this.families = specs.map((s) => {
      // An up-down counter is a non-monotonic sum, which Prometheus calls a gauge.
      const name = sampleName(prometheusName(s.name, s.unit, typeOf(s.kind)), s.kind === 'counter');
      const family: Family = {
        header: metricHeader(name, s.description, typeOf(s.kind)),
        name,
        kind: s.kind,
        series: [],
        index: {},
        text: undefined,
      };
      this.byName.set(s.name, family);
      return family;
    });
  }

  private observe(name: ObservedName, value: number, attributes?: Attributes): void {
    if (!Number.isFinite(value)) return;
    const family = this.byName.get(name);
    if (!family?.name) return;
    // The SDK's counter accumulation ignores a negative recording, leaving 0.
    if (family.kind === 'counter' && value < 0) value = 0;
    // The attributes as given (emit sites keep their keys in one order); labels are built once per new series.
    const node = nodeOf(family.index, attributes);
    let s = node.series;
    if (!s) {
      const l = attributes ? labels(attributes) : '';
      s = { prefix: `${family.name}${l ? `{${l}}` : ''} `, shown: value, last: value, pass: -1, next: value, line: '' };
      s.line = `${s.prefix}${valueString(value)}\n`;
      node.series = s;
      family.series.push(s);
      family.text = undefined;
      s.pass = this.pass;
      // First seen: shown as observed, nothing to diff against.
      s.last = Number.NaN;
    } else s.pass = this.pass;
    s.next = value;
  }

  /** Observes once through `fill` and returns the text of every family that has a series. */
  render(fill: (emit: Emit) => void): string {
    this.pass++;
    fill(this.emit);
    let out = '';
    for (const f of this.families) {
      if (f.series.length === 0) continue;
      for (const s of f.series) {
        if (s.pass !== this.pass) continue;
        const shown = Number.isNaN(s.last) ? s.next : advance(f.kind, s.shown, s.last, s.next);
        s.last = s.next;
        if (shown !== s.shown || s.line === '') {
          s.shown = shown;
          s.line = `${s.prefix}${valueString(shown)}\n`;
          f.text = undefined;
        }
      }
      f.text ??= f.header + joinLines(f.series);
      out += f.text;
    }
    return out;
  }
}

function joinLines(series: readonly Series[]): string {
  let out = '';
  for (const s of series) out += s.line;
  return out;
}

/**
 * The next shown value, as the SDK's cumulative temporality computes it: a gauge shows its last value; a sum
 * adds the difference since the previous observation, and a counter that went down starts again from it.
 */
function advance(kind: InstrumentSpec['kind'], shown: number, last: number, next: number): number {
  if (kind === 'gauge') return next;
  if (kind === 'counter' && last > next) return next;
  return shown + (next - last);
}
