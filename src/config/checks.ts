import { z } from 'zod';
import { CronExpression } from '../shared/cron.js';
import { Duration, TimerDuration } from '../shared/duration.js';
import { Ratio } from '../shared/ratio.js';

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

/** A connection URL that parses (the message never repeats it: it may hold a password). */
const ConnectionUrl = (schemes: RegExp, example: string) =>
  z
    .string()
    .min(1)
    .refine((u) => URL.canParse(u) && schemes.test(new URL(u).protocol), `not a valid URL (expected ${example})`);

const PostgresTarget = { url: ConnectionUrl(/^postgres(ql)?:$/, 'postgres://user:password@host:5432/db') };
export const PostgresCheck = z
  .object({
    ...CheckCommon,
    kind: z.literal('postgres'),
    url: PostgresTarget.url.optional(),
    instances: z
      .array(z.object({ name: InstanceName, ...PostgresTarget }).strict())
      .min(1)
      .optional(),
    connections: z
      .object({ warn: Ratio.default(0.8), fail: Ratio.default(0.95) })
      .strict()
      .default({ warn: 0.8, fail: 0.95 }),
    replicationLag: z
      .object({ warn: Duration.default(30_000), fail: Duration.default(300_000) })
      .strict()
      .default({ warn: 30_000, fail: 300_000 }),
    query: z
      .object({ sql: z.string().min(1), expectRows: z.number().int().min(0).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((c) => c.url !== undefined || c.instances !== undefined, {
    message: 'needs `url` or `instances`',
    path: ['url'],
  });

const RedisTarget = { url: ConnectionUrl(/^rediss?:$/, 'redis://:password@host:6379/0') };
export const RedisCheck = z
  .object({
    ...CheckCommon,
    kind: z.literal('redis'),
    url: RedisTarget.url.optional(),
    instances: z
      .array(z.object({ name: InstanceName, ...RedisTarget }).strict())
      .min(1)
      .optional(),
    memory: z
      .object({ warn: Ratio.default(0.8), fail: Ratio.default(0.95) })
      .strict()
      .default({ warn: 0.8, fail: 0.95 }),
  })
  .strict()
  .refine((c) => c.url !== undefined || c.instances !== undefined, {
    message: 'needs `url` or `instances`',
    path: ['url'],
  });

/** "200", 200, "2xx" or "200-299". */
const StatusSpec = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^([1-5]xx|\d{3}(-\d{3})?)$/, 'expected 200, "2xx" or "200-299"'),
]);

const HttpTarget = { url: z.url({ protocol: /^https?$/ }) };
export const HttpCheck = z
  .object({
    ...CheckCommon,
    kind: z.literal('http'),
    url: HttpTarget.url.optional(),
    instances: z
      .array(z.object({ name: InstanceName, ...HttpTarget }).strict())
      .min(1)
      .optional(),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    expectStatus: z.array(StatusSpec).min(1).default(['2xx']),
    /** Searched for in the first `maxBodyBytes` of the response body. */
    bodyContains: z.string().optional(),
    /** How much of the response body is read for `bodyContains` and `json`; the rest is discarded unread. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    json: z
      .object({
        path: z.string().min(1),
        equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
        exists: z.boolean().optional(),
      })
      .strict()
      .optional(),
    maxRedirects: z.number().int().min(0).max(20).default(5),
    /**
     * Send the configured `headers` on after a redirect to another origin. Off by default: a redirect must not
     * hand an API key to whoever it points at. `true` forwards all of them, a list only those named.
     */
    forwardHeadersOnRedirect: z.union([z.boolean(), z.array(z.string().min(1))]).default(false),
    tls: z
      .object({
        certWarnDays: z.number().min(0).default(14),
        certFailDays: z.number().min(0).default(7),
        insecureSkipVerify: z.boolean().default(false),
        /** PEM text or a path to a PEM file. */
        ca: z.string().optional(),
      })
      .strict()
      .default({ certWarnDays: 14, certFailDays: 7, insecureSkipVerify: false }),
  })
  .strict()
  .refine((c) => c.url !== undefined || c.instances !== undefined, {
    message: 'needs `url` or `instances`',
    path: ['url'],
  });

const TcpTarget = { host: z.string().min(1), port: z.number().int().min(1).max(65535) };
export const TcpCheck = z
  .object({
    ...CheckCommon,
    kind: z.literal('tcp'),
    host: TcpTarget.host.optional(),
    port: TcpTarget.port.optional(),
    instances: z
      .array(z.object({ name: InstanceName, ...TcpTarget }).strict())
      .min(1)
      .optional(),
    tls: z
      .union([
        z.boolean(),
        z
          .object({
            servername: z.string().optional(),
            insecureSkipVerify: z.boolean().default(false),
            /** PEM text or a path to a PEM file. */
            ca: z.string().optional(),
            certWarnDays: z.number().min(0).default(14),
            certFailDays: z.number().min(0).default(7),
          })
          .strict(),
      ])
      .default(false),
  })
  .strict()
  .refine((c) => (c.host !== undefined && c.port !== undefined) || c.instances !== undefined, {
    message: 'needs `host` and `port`, or `instances`',
    path: ['host'],
  });

export const CheckConfig = z.discriminatedUnion('kind', [PostgresCheck, RedisCheck, HttpCheck, TcpCheck]);
export type CheckConfig = z.infer<typeof CheckConfig>;
export type PostgresCheckConfig = z.infer<typeof PostgresCheck>;
export type RedisCheckConfig = z.infer<typeof RedisCheck>;
export type HttpCheckConfig = z.infer<typeof HttpCheck>;
export type TcpCheckConfig = z.infer<typeof TcpCheck>;
export type CheckKind = CheckConfig['kind'];
