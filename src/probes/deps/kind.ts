import { z } from 'zod';
import type { Observation, Probe } from '../types.js';

/**
 * What a dependency probe module exports (`deps/<kind>.ts`); loaded only when a check of its kind is
 * configured. Its config type is the check's (see `ProbeConfig`), hidden here so this light
 * module never depends on the config it helps build.
 */
export interface LoadedProbe {
  create(config: never): Probe<Observation>;
  /** The instance's address for output, with credentials removed. */
  describe(config: never): string;
}

/**
 * A dependency kind's light half (`deps/<kind>.schema.ts`): what config needs to validate a check of this kind,
 * and how to load the probe. It imports no driver, so building the config schema loads neither `pg` nor
 * `ioredis`; `config/checks.ts` builds its discriminated union from the registry's list of kinds.
 */
interface DependencyKind<
  K extends string = string,
  Target extends z.ZodRawShape = z.ZodRawShape,
  Options extends z.ZodRawShape = z.ZodRawShape,
> {
  readonly kind: K;
  /** Where one instance is (`url`; `host` and `port`): given at the top of the check or per `instances` entry. */
  readonly target: Target;
  /** The kind's own options, beside those every check has (name, every, timeout, thresholds, retry, breaker). */
  readonly options: Options;
  load(): Promise<LoadedProbe>;
}

export function defineDependencyKind<
  const K extends string,
  Target extends z.ZodRawShape,
  Options extends z.ZodRawShape,
>(k: DependencyKind<K, Target, Options>): DependencyKind<K, Target, Options> {
  return k;
}

/** A connection URL that parses (the message never repeats it: it may hold a password). */
export const connectionUrl = (schemes: RegExp, example: string) =>
  z
    .string()
    .min(1)
    .refine((u) => URL.canParse(u) && schemes.test(new URL(u).protocol), `not a valid URL (expected ${example})`);

/**
 * What a kind's probe is handed: its target and options as its own schema module parses them, and the check's
 * timeout (the rest of a check's fields are the monitor's). A probe types its config from here, not from config/.
 */
export type ProbeConfig<D extends { target: z.ZodRawShape; options: z.ZodRawShape }> = z.output<
  z.ZodObject<D['target'] & D['options']>
> & { timeout: number };
