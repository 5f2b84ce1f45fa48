import type { z } from 'zod';
import { kind as http } from './deps/http.schema.js';
import { kind as postgres } from './deps/postgres.schema.js';
import { kind as redis } from './deps/redis.schema.js';
import { kind as tcp } from './deps/tcp.schema.js';
import type { AnySlot, HostCollector, ValuesOf } from './host/collector.js';
import { collector as cpu } from './host/cpu.js';
import { collector as filesystem } from './host/filesystem.js';
import { collector as load } from './host/load.js';
import { collector as memory } from './host/memory.js';
import { collector as network } from './host/network.js';
import { collector as ownProcess } from './host/process.js';
import { collector as pressure } from './host/pressure.js';

/**
 * The host collectors, in the order their metrics appear on /metrics. Config flags and options, snapshot
 * state, instruments, history series, threshold checks and `get_metrics` sections are all derived from this
 * list: adding a collector is its module plus one line here.
 */
export const hostCollectors = [cpu, load, memory, filesystem, network, ownProcess, pressure] as const;

type Collectors = (typeof hostCollectors)[number];
export type HostCollectorName = Collectors['name'];
export type AnyHostCollector = HostCollector<string, AnySlot, z.ZodRawShape, z.ZodRawShape, string>;

type Merge<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? { [K in keyof I]: I[K] }
  : never;
type ShapeOf<C, Part extends 'state' | 'options'> =
  C extends HostCollector<AnySlot, AnySlot, infer St, infer Opt, AnySlot> ? (Part extends 'state' ? St : Opt) : never;
type ThresholdKeyOf<C> = C extends HostCollector<AnySlot, AnySlot, AnySlot, AnySlot, infer T> ? T : never;

/** Every collector's snapshot fields, as zod schemas (`self` is the daemon's own process). */
export type HostStateShape = Merge<ShapeOf<Collectors, 'state'>>;
/** Every collector's config sections under `host`. */
type HostOptionsShape = Merge<ShapeOf<Collectors, 'options'>>;
export type HostThresholdKey = ThresholdKeyOf<Collectors>;

const all = hostCollectors as readonly AnyHostCollector[];

export const hostStateShape = Object.assign({}, ...all.map((c) => c.state)) as HostStateShape;
export const hostOptionsShape = Object.assign({}, ...all.map((c) => c.options ?? {})) as HostOptionsShape;
export const hostThresholdDefaults = Object.assign({}, ...all.map((c) => c.thresholds ?? {})) as Record<
  HostThresholdKey,
  { warn: number; fail: number; for: number }
>;

/**
 * A collector's fields out of a host view (the snapshot's `host` plus `self`), or undefined when it has no
 * current sample (its first field is absent: disabled, failed this round, or nothing to report here).
 */
export function stateOf<St extends z.ZodRawShape>(
  c: HostCollector<string, AnySlot, St, AnySlot, AnySlot>,
  host: Readonly<Record<string, unknown>>,
): ValuesOf<St> | undefined {
  for (const key in c.state) return host[key] === undefined ? undefined : (host as ValuesOf<St>);
  return undefined;
}

/**
 * Dependency kinds: each a light schema module (`deps/<kind>.schema.ts`) that config builds its checks from,
 * and a probe module loaded on first use, so a daemon that watches no database never loads `pg` or `ioredis`
 * (stdio cold start). Adding a kind is those two modules plus one line here.
 */
export const dependencyKindList = [postgres, redis, http, tcp] as const;
