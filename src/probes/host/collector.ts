import type { z } from 'zod';
import type { Probe } from '../types.js';

/**
 * What a host collector module is: everything the daemon needs to know of one collector, in one object, so
 * that config flags, snapshot state, metrics, history, threshold checks and `get_metrics` are derived from
 * the list in `probes/registry.ts` (as node_exporter's `registerCollector`). Nothing here knows of
 * OpenTelemetry, MCP or the monitor: metrics, series and checks are plain descriptions that those layers
 * turn into instruments, history and check states.
 */

/** What a collector may tell its owner besides its reading (the monitor logs it). */
export interface CollectorContext {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Where the host's trees are mounted: `/host/proc` and `/host` in a container watching its node. */
interface HostPaths {
  procfs: string;
  rootfs: string;
}

export interface HostProbe<S> extends Probe<S> {
  /** Runs once before the first sample: a collector measuring deltas takes its baseline here. */
  prime?(): Promise<void>;
}

/**
 * A generic slot that any collector fills, read or written: the sample goes into `toState` and comes out of
 * `create`, so neither `unknown` nor `never` fits every collector of the list.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above; used only in type positions of this contract
export type AnySlot = any;

/** Fields of an object shape, each parsed (a collector's snapshot fields, or its config options). */
export type ValuesOf<Shape extends z.ZodRawShape> = { [K in keyof Shape]: z.output<Shape[K]> };

/** An instrument described without OpenTelemetry; `telemetry/catalogue.ts` creates it. */
interface MetricSpec {
  name: string;
  kind: 'gauge' | 'counter' | 'updowncounter';
  /** UCUM, as OpenTelemetry writes it: `By`, `s`, `1`, `{packet}`. */
  unit: string;
  description: string;
}

type Observe = (name: string, value: number, attributes?: Record<string, string>) => void;

/** A family of history series (`disk.utilization` holds `disk.utilization:/var`, …). */
export interface SeriesFamily {
  family: string;
  unit: 'ratio' | 's' | 'By/s' | 'By' | 'status' | '1';
  description: string;
}

/** Defaults of a warn/fail pair on a ratio and its `for:` hold (ms); config makes it `host.thresholds.<key>`. */
interface ThresholdDefaults {
  warn: number;
  fail: number;
  for: number;
}

/** Who a threshold check is, in health+json terms (`component:measurement`, plus a componentId of several). */
export interface HostCheckId {
  name: string;
  kind: string;
  component: string;
  measurement: string;
  componentId?: string;
}

/** A check judged from a sample: its value against `host.thresholds.<threshold>`, or why it cannot tell. */
type HostCheckInput<T extends string = string> = HostCheckId & { threshold: T } & (
    | { value: number; describe(value: number): string }
    | { unknown: string }
  );

/**
 * One host collector. `state` names the snapshot fields its sample fills (`host.<key>`; the key `self` is the
 * daemon's own process, shown beside the host) and `toState` fills them; every other hook reads those fields,
 * so readers of a snapshot need not know the sample. The first field is the one whose presence means "this
 * collector has a current sample"; later ones may be declared optional.
 */
export interface HostCollector<
  N extends string = string,
  S = AnySlot,
  St extends z.ZodRawShape = AnySlot,
  Opt extends z.ZodRawShape = AnySlot,
  T extends string = string,
> {
  readonly name: N;
  /** On unless `host.collectors.<name>` says otherwise. */
  readonly defaultEnabled: boolean;
  readonly state: St;
  toState(sample: S): ValuesOf<St>;
  /** Config sections of its own under `host` (each schema with its default). */
  readonly options?: Opt;
  create(paths: HostPaths, options: ValuesOf<Opt>, ctx: CollectorContext): HostProbe<S>;
  readonly metrics?: {
    instruments: readonly MetricSpec[];
    /** `host` is every collector's fields, for a figure that needs another's (per-CPU shares need the CPU count). */
    observe(state: ValuesOf<St>, emit: Observe, host: Readonly<Record<string, unknown>>): void;
  };
  readonly series?: {
    families: readonly SeriesFamily[];
    values(state: ValuesOf<St>): [string, number][];
  };
  /** Threshold defaults under `host.thresholds`, by key. */
  readonly thresholds?: Readonly<Record<T, ThresholdDefaults>>;
  readonly checks?: {
    judge(state: ValuesOf<St>): HostCheckInput<T>[];
    /**
     * The checks that say "no current sample" when the collector failed this round; `held` names the checks
     * known before, so a check per mountpoint turns unknown rather than vanishing.
     */
    missing(held: readonly string[]): (HostCheckId & { threshold: T })[];
  };
  /** Its section of `get_metrics`: the structured part and a line or more of text. */
  readonly report?: {
    section: string;
    /** A phrase of the tool's description ("load averages (also per core)"). */
    describes: string;
    schema: z.ZodType;
    data(state: ValuesOf<St>): unknown;
    /** `format` has the house's number formatting, which lives above the probes. */
    text(data: AnySlot, format: ReportFormat): string[];
  };
}

interface ReportFormat {
  bytes(n: number): string;
}

/** Checks a module's shape at compile time and keeps its literal names for the derived types. */
export function defineHostCollector<
  const N extends string,
  S,
  St extends z.ZodRawShape,
  Opt extends z.ZodRawShape = Record<never, z.ZodType>,
  T extends string = never,
>(c: HostCollector<N, S, St, Opt, T>): HostCollector<N, S, St, Opt, T> {
  return c;
}
