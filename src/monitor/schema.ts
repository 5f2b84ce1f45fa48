import { z } from 'zod';
import { hostStateShape, type HostStateShape } from '../probes/registry.js';

export { hostCollectors, hostView, stateOf, type AnyHostCollector } from './host-view.js';

/** IETF health+json status words: a verdict on a result. */
export const CheckStatus = z.enum(['pass', 'warn', 'fail']);
export type CheckStatus = z.infer<typeof CheckStatus>;

/**
 * What a check shows: a verdict, or `pending` while it has no result of its own yet (a dependency on its
 * first round). Pending is never counted as passing, nor as a problem.
 */
export const StateStatus = z.enum(['pass', 'warn', 'fail', 'pending']);
export type StateStatus = z.infer<typeof StateStatus>;

/** A process table row, as the sampler reads it: readers take it from here, as they do the host samples. */
export { ProcessRow } from '../probes/host/processes.js';

export const BreakerState = z.enum(['closed', 'open', 'half-open']);
export type BreakerState = z.infer<typeof BreakerState>;

export const ThresholdView = z.object({
  warn: z.number(),
  fail: z.number(),
  forSeconds: z.number(),
});

export const InstanceState = z.object({
  name: z.string(),
  target: z.string().describe('redacted address of the instance'),
  ok: z.boolean(),
  latencySeconds: z.number().nullable(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
  values: z.record(z.string(), z.number()),
  info: z.record(z.string(), z.string()).optional(),
});
export type InstanceState = z.infer<typeof InstanceState>;

export const CheckState = z.object({
  name: z.string(),
  kind: z.string().describe('cpu, memory, disk, tool_errors, postgres, redis, http or tcp'),
  group: z.enum(['host', 'self', 'dependency']),
  /** health+json key parts: `component:measurement`, plus componentId for one of several (a mountpoint). */
  component: z.string(),
  measurement: z.string(),
  componentId: z.string().optional(),
  status: StateStatus,
  critical: z.boolean(),
  observedValue: z.number().nullable(),
  observedUnit: z.string(),
  threshold: ThresholdView.optional(),
  /** Why the status is not pass (or what is pending); empty when all is well. */
  output: z.string(),
  /** ISO time the reported status last changed (for a threshold, when its `for:` hold matured). */
  since: z.string(),
  /**
   * ISO time the current problem began: the value first crossed the level, or the first failed run of the
   * streak. Earlier than `since` when a `for:` hold or a failure threshold delayed the status. Absent on pass.
   */
  problemSince: z.string().optional(),
  /** ISO time of the observation this state is built on. */
  time: z.string(),
  pending: z.object({ status: CheckStatus, since: z.string(), forSeconds: z.number() }).optional(),
  // Dependency checks only:
  latencySeconds: z.number().nullable().optional(),
  lastError: z.string().optional(),
  breaker: BreakerState.optional(),
  consecutiveFailures: z.number().int().optional(),
  consecutiveSuccesses: z.number().int().optional(),
  runs: z.number().int().optional(),
  skippedRuns: z.number().int().optional(),
  instances: z.array(InstanceState).optional(),
  info: z.record(z.string(), z.string()).optional(),
  values: z.record(z.string(), z.number()).optional(),
});
export type CheckState = z.infer<typeof CheckState>;

export const ToolStats = z.object({
  calls: z.number().int().describe('tool calls since start'),
  errors: z.number().int().describe('tool calls that failed through no fault of the caller, since start'),
  clientErrors: z
    .number()
    .int()
    .describe(
      "tool calls refused as the caller's mistake (bad or unknown arguments, unknown names, missing scope), " +
        'since start',
    ),
  windowSeconds: z.number(),
  callsInWindow: z.number().int(),
  errorsInWindow: z.number().int(),
  errorRate: z.number().nullable().describe('errors / calls over the window; null with no calls'),
  latencySeconds: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  byTool: z.record(
    z.string(),
    z.object({ calls: z.number().int(), errors: z.number().int(), clientErrors: z.number().int() }),
  ),
});
export type ToolStats = z.infer<typeof ToolStats>;

const CollectorState = z.object({
  success: z.boolean(),
  durationSeconds: z.number(),
  error: z.string().optional(),
  noData: z.boolean().optional(),
});

type Optional<Shape> = { [K in keyof Shape]: z.ZodOptional<Shape[K] & z.ZodType> };
const { self: SelfState, ...hostShape } = hostStateShape;
const optional = <Shape extends z.ZodRawShape>(shape: Shape) =>
  Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, (v as z.ZodType).optional()])) as Optional<Shape>;

/** What the host collectors saw last, one section per collector field (see `probes/registry.ts`). */
export const HostState = z.object(optional(hostShape as Omit<HostStateShape, 'self'>));
export type HostState = z.infer<typeof HostState>;

export const Snapshot = z.object({
  status: CheckStatus,
  time: z.string(),
  startedAt: z.string(),
  hostname: z.string(),
  checks: z.record(z.string(), CheckState),
  host: HostState,
  /** The daemon's own process (the `process` collector), beside the host rather than in it. */
  self: SelfState.optional(),
  tools: ToolStats,
  collectors: z.record(z.string(), CollectorState),
});
export type Snapshot = z.infer<typeof Snapshot>;

export const HealthEvent = z.object({
  time: z.string().describe('ISO time the reported status changed'),
  check: z.string(),
  type: z.enum(['status', 'breaker']),
  from: z.string().describe('"unknown" for the first result of a check'),
  to: z.string(),
  reason: z.string(),
  startedAt: z
    .string()
    .optional()
    .describe(
      'ISO time the new condition began, when earlier than `time`: the value first crossed the level, the ' +
        'first failed (or good) run of the streak',
    ),
});
export type HealthEvent = z.infer<typeof HealthEvent>;
