import { z } from 'zod';
import { dependencyKindList } from '../probes/registry.js';
import { CronExpression } from '../shared/cron.js';
import { Duration, TimerDuration } from '../shared/duration.js';

/** Options shared by every dependency check, whatever its kind. */
const CheckCommon = {
  name: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9._-]{0,62}$/i,
      'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
    ),
  description: z.string().optional(),
  /** Fixed interval between runs. */
  every: TimerDuration.optional(),
  /** Cron expression (node-cron, 5 or 6 fields) instead of `every`. */
  cron: CronExpression.optional(),
  timeout: TimerDuration.default(5000),
  critical: z.boolean().default(false),
  /** Consecutive failed runs before the reported status flips to fail (gatus semantics). */
  failureThreshold: z.number().int().min(1).default(3),
  /** Consecutive good runs before a failed check is reported as passing again. */
  successThreshold: z.number().int().min(1).default(2),
  /** Response time above which a passing run is reported as warn. */
  maxResponseTime: Duration.optional(),
  retry: z
    .object({ attempts: z.number().int().min(0).max(10).default(0), backoff: TimerDuration.default(200) })
    .strict()
    .default({ attempts: 0, backoff: 200 }),
  breaker: z
    .object({ failures: z.number().int().min(1).default(5), cooldown: TimerDuration.default(30_000) })
    .strict()
    .default({ failures: 5, cooldown: 30_000 }),
};

const InstanceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._:-]{0,62}$/i)
  .optional();

type Kinds = (typeof dependencyKindList)[number];
type Optional<Shape extends z.ZodRawShape> = { [K in keyof Shape]: z.ZodOptional<Shape[K]> };

/**
 * One kind's check: the common options, `kind`, the target at the top level (optional) or as `instances`, and
 * the kind's own options; with a message naming the target fields when neither is given.
 */
function checkOf<K extends Kinds>(k: K) {
  const fields = Object.keys(k.target);
  const named = fields.map((f) => `\`${f}\``);
  return z
    .object({
      ...CheckCommon,
      kind: z.literal(k.kind as K['kind']),
      ...(Object.fromEntries(Object.entries(k.target).map(([f, t]) => [f, t.optional()])) as Optional<K['target']>),
      instances: z
        .array(z.object({ name: InstanceName, ...(k.target as K['target']) }).strict())
        .min(1)
        .optional(),
      ...(k.options as K['options']),
    })
    .strict()
    .refine((c: Record<string, unknown>) => fields.every((f) => c[f] !== undefined) || c.instances !== undefined, {
      message: `needs ${named.length === 1 ? named[0] : `${named.join(' and ')},`} or \`instances\``,
      path: [fields[0]!],
    });
}

type CheckOf<K> = K extends Kinds ? ReturnType<typeof checkOf<K>> : never;
type Schemas<T extends readonly unknown[]> = { -readonly [I in keyof T]: CheckOf<T[I]> };

/** A dependency check: one schema per kind in the registry, told apart by `kind`. */
export const CheckConfig = z.discriminatedUnion(
  'kind',
  dependencyKindList.map((k) => checkOf(k)) as unknown as Schemas<typeof dependencyKindList>,
);
export type CheckConfig = z.infer<typeof CheckConfig>;
export type CheckKind = CheckConfig['kind'];
