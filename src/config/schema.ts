import { z } from 'zod';
import { CronExpression as CronExpr } from '../shared/cron.js';
import { Duration, TimerDuration } from '../shared/duration.js';
import { Ratio } from '../shared/ratio.js';
import { CheckConfig } from './checks.js';
import { FLEET_CHECK, FleetConfig, isLoopbackUrl } from './fleet.js';
import { LIMITS_DEFAULTS, LimitsConfig } from './limits.js';
import { PARSE_ONCE } from './parse-once.js';
import {
  hostCollectors,
  hostOptionsShape,
  hostThresholdDefaults,
  type HostCollectorName,
  type HostThresholdKey,
} from '../probes/registry.js';

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A warn/fail pair on a ratio, held for `for` before the status changes (Prometheus `for:` semantics). */
const threshold = (warn: number, fail: number, forMs: number) =>
  z
    .object({ warn: Ratio.default(warn), fail: Ratio.default(fail), for: Duration.default(forMs) })
    .strict()
    .refine((t) => t.warn <= t.fail, { message: 'warn must not be above fail', path: ['warn'] })
    .default({ warn, fail, for: forMs });

/** Each host collector's thresholds (`cpu`, `memory`, `disk`, …) with the defaults its module declares. */
const collectorThresholds = Object.fromEntries(
  Object.entries(hostThresholdDefaults).map(([key, d]) => [key, threshold(d.warn, d.fail, d.for)]),
) as Record<HostThresholdKey, ReturnType<typeof threshold>>;

const ThresholdsConfig = z
  .object({
    ...collectorThresholds,
    toolErrorRate: z
      .object({
        warn: Ratio.default(0.05),
        fail: Ratio.default(0.1),
        for: Duration.default(0),
        window: Duration.default(300_000),
        minCalls: z.number().int().min(1).default(10),
      })
      .strict()
      .refine((t) => t.warn <= t.fail, { message: 'warn must not be above fail', path: ['warn'] })
      .default({ warn: 0.05, fail: 0.1, for: 0, window: 300_000, minCalls: 10 }),
  })
  .strict();

export { DEFAULT_EXCLUDED_FS_TYPES, DEFAULT_EXCLUDED_MOUNTS } from '../probes/host/filesystem.js';

/** `host.collectors`: one flag per registered collector, each defaulting to what its module says. */
const CollectorFlags = z
  .object(
    Object.fromEntries(hostCollectors.map((c) => [c.name, z.boolean().default(c.defaultEnabled)])) as Record<
      HostCollectorName,
      z.ZodDefault<z.ZodBoolean>
    >,
  )
  .strict();

const HostConfig = z
  .object({
    interval: TimerDuration.default(5000),
    timeout: TimerDuration.default(2000),
    /** Where the host's procfs is mounted: `/host/proc` in a container watching its node (DaemonSet). */
    procfs: z.string().default('/proc'),
    /** Where the host's root filesystem is mounted; filesystems are then read from PID 1's mount table. */
    rootfs: z.string().default('/'),
    collectors: CollectorFlags.default(CollectorFlags.parse({}, PARSE_ONCE)),
    /** Collectors' own sections (`filesystems`, `network`), from their modules. */
    ...hostOptionsShape,
    thresholds: ThresholdsConfig.default(ThresholdsConfig.parse({}, PARSE_ONCE)),
  })
  .strict();

/** What a caller may do; `vitals:admin` implies the others. */
export const Scope = z.enum(['vitals:read', 'vitals:refresh', 'vitals:admin', 'vitals:metrics']);

const Sha256Hex = z
  .string()
  .regex(
    /^[0-9a-f]{64}$/i,
    'expected the token\'s SHA-256 hash as 64 hex characters (printf %s "$TOKEN" | sha256sum), never the token itself',
  )
  .transform((h) => h.toLowerCase());

const Subject = z.string().regex(/^[\w.@:+-]{1,128}$/, 'must be 1-128 letters, digits or ". @ : + _ -"');

/** A static bearer token: only its hash is kept, so a leaked config file leaks no credential. */
export const StaticToken = z
  .object({
    subject: Subject,
    sha256: Sha256Hex,
    scopes: z.array(Scope).min(1).default(['vitals:read']),
    /**
     * When the token stops being accepted (ISO 8601, e.g. "2027-03-01T00:00:00Z"); `vitals token new --expires-in 90d`
     * writes it.
     */
    expires: z.iso
      .datetime({ offset: true, message: 'expected an ISO 8601 time such as "2027-03-01T00:00:00Z"' })
      .optional(),
  })
  .strict();

const JwtConfig = z
  .object({
    /** HS256 shared secret (at least 32 characters); or give `jwksUrl` for RS256/ES256. */
    secret: z.string().min(32, 'an HS256 secret needs at least 32 characters (256 bits)').optional(),
    /** The issuer's JSON Web Key Set; keys are cached and fetched again when a token names an unknown `kid`. */
    jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    issuer: z.string().min(1),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    algorithms: z
      .array(
        z.enum([
          'HS256',
          'HS384',
          'HS512',
          'RS256',
          'RS384',
          'RS512',
          'PS256',
          'PS384',
          'PS512',
          'ES256',
          'ES384',
          'EdDSA',
        ]),
      )
      .min(1)
      .optional(),
    /** Leeway for `exp` and `nbf` between our clock and the issuer's. */
    clockSkew: Duration.default(30_000),
    /** Least time between two JWKS fetches caused by unknown `kid`s (bounds what junk tokens can make us fetch). */
    jwksCooldown: TimerDuration.default(30_000),
    jwksTimeout: TimerDuration.default(5000),
  })
  .strict()
  .superRefine((j, ctx) => {
    if ((j.secret === undefined) === (j.jwksUrl === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'give `secret` (HS256) or `jwksUrl` (RS256/ES256), exactly one',
      });
    if (j.jwksUrl?.startsWith('http:') && !isLoopbackUrl(j.jwksUrl))
      ctx.addIssue({
        code: 'custom',
        path: ['jwksUrl'],
        message: 'keys must come over https (plain http only on loopback)',
      });
    const hmac = j.algorithms?.filter((a) => a.startsWith('HS')) ?? [];
    if (j.secret !== undefined && j.algorithms && hmac.length !== j.algorithms.length)
      ctx.addIssue({ code: 'custom', path: ['algorithms'], message: 'with `secret` only HS256/HS384/HS512 apply' });
    if (j.jwksUrl !== undefined && hmac.length)
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: 'with `jwksUrl` HMAC algorithms are not allowed (a public key must never verify an HMAC)',
      });
  });

export const AuthConfig = z
  .object({
    tokens: z.array(StaticToken).default([]),
    jwt: JwtConfig.optional(),
    /** OAuth authorization servers advertised in the RFC 9728 protected-resource metadata. */
    authorizationServers: z.array(z.url({ protocol: /^https?$/ })).default([]),
  })
  .strict()
  .refine((a) => a.tokens.length > 0 || a.jwt !== undefined, {
    message: 'give `tokens`, `jwt`, or both',
    path: ['tokens'],
  });

/** Tools that read history or /proc cost more than a snapshot read. */
const TOOL_COST_DEFAULTS: Record<string, number> = { diagnose: 10, top_processes: 5, query_history: 2, list_events: 2 };

const HostPattern = z
  .string()
  .regex(/^(\*|(\*\.)?[a-z0-9.-]+|\[[0-9a-f:.]+\])$/i, 'a host name, "*.example.com", an IP, or "*"');
const OriginPattern = z
  .string()
  .regex(
    /^(\*|https?:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?|https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?)$/i,
    'an origin such as "https://app.example.com" (scheme://host[:port]), or "*"',
  );

export const HttpConfig = z
  .object({
    listen: z
      .string()
      .regex(/^(\[[0-9a-f:.]+\]|[^:\s]+):\d{1,5}$/i, 'expected host:port, e.g. 127.0.0.1:9464')
      .default('127.0.0.1:9464'),
    /** Every /mcp request stands alone (no sessions), so any replica behind a plain load balancer can answer it. */
    stateless: z.boolean().default(false),
    sessions: z
      .object({
        max: z.number().int().min(1).max(1_000_000).default(1000),
        /** Per authenticated principal; past it, that principal's least recently used idle session is closed. */
        maxPerPrincipal: z.number().int().min(1).max(1_000_000).default(100),
        idleTimeout: TimerDuration.default(1_800_000),
      })
      .strict()
      .default({ max: 1000, maxPerPrincipal: 100, idleTimeout: 1_800_000 }),
    /** The URL clients use to reach us (behind a proxy); by default taken from the request's Host. */
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    auth: AuthConfig.optional(),
    /** /metrics: open, or also reachable with these tokens (scope vitals:metrics only). */
    metricsAuth: z
      .object({ open: z.boolean().default(false), tokens: z.array(StaticToken.omit({ scopes: true })).default([]) })
      .strict()
      .default({ open: false, tokens: [] }),
    /** /health without a token even when auth is configured (it names checks and their errors). */
    openHealth: z.boolean().default(false),
    /** Host headers accepted besides IP literals, localhost and the listen host (DNS-rebinding defence). */
    allowedHosts: z.array(HostPattern).default([]),
    /** Browser origins accepted besides http(s)://localhost, 127.0.0.1 and [::1] on any port. */
    allowedOrigins: z.array(OriginPattern).default([]),
    /** Believe X-Forwarded-For/-Proto/-Host from these proxies (addresses or CIDRs), or from anyone (true). */
    trustProxy: z.union([z.boolean(), z.string().min(1), z.array(z.string().min(1))]).default(false),
    bodyLimit: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    timeouts: z
      .object({
        headers: TimerDuration.default(10_000),
        request: TimerDuration.default(30_000),
        keepAlive: TimerDuration.default(5000),
      })
      .strict()
      .refine((t) => t.request === 0 || t.headers <= t.request, {
        message: 'the headers must arrive within the request timeout',
        path: ['headers'],
      })
      .default({ headers: 10_000, request: 30_000, keepAlive: 5000 }),
    rateLimit: z
      .object({
        enabled: z.boolean().default(true),
        /** Requests per principal (token subject, else client address) per window. */
        max: z.number().int().min(1).default(600),
        window: TimerDuration.default(60_000),
        /** Redis URL: replicas share one budget per principal. */
        redis: z
          .string()
          .regex(/^rediss?:\/\//, 'expected redis://… or rediss://…')
          .optional(),
        keyPrefix: z.string().min(1).max(100).default('mcp-vitals:rl:'),
        /** What one tools/call of these tools costs against `max` (every other JSON-RPC message costs 1). */
        toolCost: z
          .record(z.string().regex(/^[a-z_]{1,64}$/), z.number().int().min(1).max(1000))
          .default(TOOL_COST_DEFAULTS),
      })
      .strict()
      .default({ enabled: true, max: 600, window: 60_000, keyPrefix: 'mcp-vitals:rl:', toolCost: TOOL_COST_DEFAULTS }),
    /**
     * Where 2026-07-28 `subscriptions/listen` streams hear of changes. With `redis` (else the rate limiter's
     * Redis, if any) every replica publishes its transitions on `channel` and every listener hears them all.
     */
    events: z
      .object({
        redis: z
          .string()
          .regex(/^rediss?:\/\//, 'expected redis://… or rediss://…')
          .optional(),
        channel: z.string().min(1).max(200).default('mcp-vitals:events'),
      })
      .strict()
      .default({ channel: 'mcp-vitals:events' }),
    /** On SIGTERM: how long in-flight requests get to finish before connections are cut. */
    shutdownGrace: TimerDuration.default(10_000),
  })
  .strict();

/** Tier retention when the config gives none: memory keeps what fits a small daemon, PostgreSQL far more. */
const HISTORY_RETENTION_DEFAULTS = {
  memory: { raw: 3_600_000, minute: 86_400_000, quarter: 604_800_000, events: 604_800_000 },
  postgres: { raw: 172_800_000, minute: 1_209_600_000, quarter: 7_776_000_000, events: 7_776_000_000 },
} as const;

/** Where sampled history and events are kept: in memory (default) or in PostgreSQL (survives restarts). */
const HistoryConfig = z
  .object({
    store: z.enum(['memory', 'postgres']).default('memory'),
    /** PostgreSQL connection string; required with `store: postgres`. */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected postgres://user:password@host:5432/db')
      .optional(),
    /** PostgreSQL schema holding the tables (created by the migrations). */
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier')
      .default('vitals'),
    /** How long each tier is kept; defaults depend on the store (see HISTORY_RETENTION_DEFAULTS). */
    retention: z
      .object({
        raw: Duration.optional(),
        minute: Duration.optional(),
        quarter: Duration.optional(),
        events: Duration.optional(),
      })
      .strict()
      .default({}),
    /** PostgreSQL: how often buffered samples are written. */
    flushInterval: TimerDuration.default(2000),
    /** PostgreSQL: most rows per INSERT. */
    batchSize: z.number().int().min(1).max(100_000).default(5000),
    /** PostgreSQL: samples held while the database is away; beyond this the oldest are dropped (counted and logged). */
    bufferMax: z.number().int().min(100).max(10_000_000).default(100_000),
    /**
     * Series kept at most (mounts and interfaces come and go); samples of further series are dropped and counted.
     * The memory store holds up to about 85 KiB per series at the default retention (a sample a second; ~56 KiB at
     * the default 5 s), so 500 bound it near 42 MiB.
     */
    maxSeries: z.number().int().min(1).max(100_000).default(500),
    /** Memory: raw samples kept per series at most (3600 = one hour at one per second). */
    maxRawPerSeries: z.number().int().min(10).max(1_000_000).default(3600),
    /** PostgreSQL: when the downsampling and retention jobs run (node-cron). */
    jobs: z
      .object({ downsample: CronExpr.default('* * * * *'), retention: CronExpr.default('*/10 * * * *') })
      .strict()
      .default({ downsample: '* * * * *', retention: '*/10 * * * *' }),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (h.store === 'postgres' && !h.url)
      ctx.addIssue({ code: 'custom', path: ['url'], message: '`store: postgres` needs `url`' });
    const r = { ...HISTORY_RETENTION_DEFAULTS[h.store], ...h.retention };
    if (r.raw > r.minute)
      ctx.addIssue({
        code: 'custom',
        path: ['retention', 'raw'],
        message: 'raw retention must not be longer than minute retention',
      });
    if (r.minute > r.quarter)
      ctx.addIssue({
        code: 'custom',
        path: ['retention', 'minute'],
        message: 'minute retention must not be longer than quarter retention',
      });
  })
  .transform((h) => ({ ...h, retention: { ...HISTORY_RETENTION_DEFAULTS[h.store], ...h.retention } }));

export const Config = z
  .object({
    logLevel: LogLevel.default('info'),
    host: HostConfig.default(HostConfig.parse({}, PARSE_ONCE)),
    checks: z
      .array(CheckConfig)
      .default([])
      .superRefine((checks, ctx) => {
        const seen = new Map<string, number>();
        checks.forEach((c, i) => {
          const prior = seen.get(c.name);
          if (prior !== undefined)
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `duplicate check name "${c.name}" (also checks[${prior}])`,
            });
          else seen.set(c.name, i);
          if (c.every !== undefined && c.cron !== undefined)
            ctx.addIssue({ code: 'custom', path: [i, 'cron'], message: 'give `every` or `cron`, not both' });
        });
      }),
    /** How many dependency checks may run at once across the daemon. */
    concurrency: z.number().int().min(1).max(10_000).default(32),
    /** Default interval for dependency checks that give neither `every` nor `cron`. */
    checkInterval: TimerDuration.default(30_000),
    /** `refresh: true` callers share one run; a new one starts at most this often. */
    refreshMinInterval: TimerDuration.default(2000),
    events: z
      .object({ max: z.number().int().min(10).max(1_000_000).default(1000) })
      .strict()
      .default({ max: 1000 }),
    http: HttpConfig.default(HttpConfig.parse({}, PARSE_ONCE)),
    history: HistoryConfig.default(HistoryConfig.parse({}, PARSE_ONCE)),
    limits: LimitsConfig.default(LIMITS_DEFAULTS),
    /** The fleet tools' sources: a Prometheus-API server and/or an Alertmanager (see config/fleet.ts). */
    fleet: FleetConfig.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const i = c.fleet?.prometheus?.check.enabled ? c.checks.findIndex((x) => x.name === FLEET_CHECK) : -1;
    if (i >= 0)
      ctx.addIssue({
        code: 'custom',
        path: ['checks', i, 'name'],
        message:
          `"${FLEET_CHECK}" is the check of fleet.prometheus; rename this ` +
          `one or set fleet.prometheus.check.enabled: false`,
      });
  });

export type Config = z.infer<typeof Config>;
export type HttpConfig = z.infer<typeof HttpConfig>;
export type AuthConfig = z.infer<typeof AuthConfig>;
export type Scope = z.infer<typeof Scope>;
export type { LimitsConfig } from './limits.js';
