import { z } from 'zod';
import { Duration, TimerDuration } from '../shared/duration.js';
import { InstanceArg } from './limits.js';

/** A URL on this machine, where plain http carries no credential off the host. */
export const isLoopbackUrl = (u: string) => /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i.test(u);

/**
 * How the daemon reaches a Prometheus-API or Alertmanager server: URL, credentials (from `${VAR}`, never
 * written in the file), per-request timeout and TLS. Shared by both sources.
 */
const Source = {
  /** Base URL; a path prefix (`https://mimir.example/prometheus`) is kept. */
  url: z
    .url({ protocol: /^https?$/ })
    .refine(
      (u) => !new URL(u).username && !new URL(u).password,
      'put credentials in `bearerToken` or `basicAuth`, not in the URL',
    )
    .refine((u) => !new URL(u).search, 'the URL must not carry a query string'),
  bearerToken: z.string().min(1).optional(),
  basicAuth: z
    .object({ username: z.string().min(1), password: z.string().min(1) })
    .strict()
    .optional(),
  /** Each request is abandoned (and its socket closed) after this long. */
  timeout: TimerDuration.default(10_000),
  tls: z
    .object({
      /** PEM text or a path to a PEM file. */
      ca: z.string().optional(),
      insecureSkipVerify: z.boolean().default(false),
      serverName: z.string().optional(),
    })
    .strict()
    .default({ insecureSkipVerify: false }),
  /** Consecutive failed requests before the breaker opens; requests then fail at once until `cooldown` is over. */
  breaker: z
    .object({ failures: z.number().int().min(1).default(5), cooldown: TimerDuration.default(30_000) })
    .strict()
    .default({ failures: 5, cooldown: 30_000 }),
};

const oneAuth = (s: { bearerToken?: string | undefined; basicAuth?: unknown }, ctx: z.RefinementCtx) => {
  if (s.bearerToken !== undefined && s.basicAuth !== undefined)
    ctx.addIssue({ code: 'custom', path: ['bearerToken'], message: 'give `bearerToken` or `basicAuth`, not both' });
};

const credentialsOverHttps = (
  s: { url: string; bearerToken?: string | undefined; basicAuth?: unknown },
  ctx: z.RefinementCtx,
) => {
  if (
    (s.bearerToken !== undefined || s.basicAuth !== undefined) &&
    s.url.startsWith('http:') &&
    !isLoopbackUrl(s.url)
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: 'credentials are only sent over https (plain http only on loopback)',
    });
  }
};

export const PrometheusSourceConfig = z
  .object({
    ...Source,
    /** The `fleet` dependency check: a cheap query against the source on a schedule (its breaker is the check's). */
    check: z
      .object({
        enabled: z.boolean().default(true),
        every: TimerDuration.default(30_000),
        critical: z.boolean().default(false),
      })
      .strict()
      .default({ enabled: true, every: 30_000, critical: false }),
    /** How far back an instance counts as part of the fleet (it then shows as not reporting rather than vanishing). */
    lookback: Duration.refine((ms) => ms >= 60_000 && ms <= 30 * 86_400_000, 'between 1m and 30d').default(3_600_000),
  })
  .strict()
  .superRefine(oneAuth)
  .superRefine(credentialsOverHttps);

export const AlertmanagerSourceConfig = z
  .object({
    ...Source,
    /** Post this daemon's own check transitions as alerts (no Prometheus rules needed). */
    post: z
      .object({
        enabled: z.boolean().default(false),
        /** Firing alerts are sent again this often; Alertmanager resolves them itself 4 intervals after the last. */
        resendInterval: TimerDuration.refine((ms) => ms >= 1000, 'at least 1s').default(60_000),
        /** Which statuses are alerts: `fail` only, or `warn` too. */
        minStatus: z.enum(['warn', 'fail']).default('fail'),
        /** Only these checks (default: all). */
        checks: z.array(z.string().min(1)).optional(),
        /** The `instance` label; defaults to the host name. */
        instance: InstanceArg.optional(),
        /** Added to every alert (`team`, `env`…); `alertname`, `check` and `instance` are ours. */
        labels: z
          .record(z.string(), z.string().max(1024))
          .superRefine((l, ctx) => {
            for (const k of Object.keys(l)) {
              if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k))
                ctx.addIssue({
                  code: 'custom',
                  path: [k],
                  message: 'not a Prometheus label name (letters, digits and _, not starting with a digit)',
                });
              else if (['alertname', 'check', 'instance', 'severity'].includes(k))
                ctx.addIssue({
                  code: 'custom',
                  path: [k],
                  message: 'alertname, check, instance and severity are set by the daemon',
                });
            }
          })
          .default({}),
        /** Link in each alert (the daemon's status page, say). */
        generatorUrl: z.url({ protocol: /^https?$/ }).optional(),
      })
      .strict()
      .default({ enabled: false, resendInterval: 60_000, minStatus: 'fail', labels: {} }),
  })
  .strict()
  .superRefine(oneAuth)
  .superRefine(credentialsOverHttps);

/** A Prometheus-API source (Prometheus, Thanos, Mimir, VictoriaMetrics) and/or an Alertmanager: the fleet tools. */
export const FleetConfig = z
  .object({
    prometheus: PrometheusSourceConfig.optional(),
    alertmanager: AlertmanagerSourceConfig.optional(),
  })
  .strict()
  .refine((f) => f.prometheus !== undefined || f.alertmanager !== undefined, {
    message: 'give `prometheus`, `alertmanager`, or both',
    path: ['prometheus'],
  });

export type FleetConfig = z.infer<typeof FleetConfig>;
export type PrometheusSourceConfig = z.infer<typeof PrometheusSourceConfig>;
export type AlertmanagerSourceConfig = z.infer<typeof AlertmanagerSourceConfig>;
/** What both sources share: how to reach them. */
export type SourceConfig = Pick<
  PrometheusSourceConfig,
  'url' | 'bearerToken' | 'basicAuth' | 'timeout' | 'tls' | 'breaker'
>;

/** The name of the dependency check that watches the Prometheus source. */
export const FLEET_CHECK = 'fleet';

/** The Authorization header a source's credentials make, if it has any. */
export function authorizationFor(c: Pick<SourceConfig, 'bearerToken' | 'basicAuth'>): string | undefined {
  if (c.bearerToken) return `Bearer ${c.bearerToken}`;
  if (c.basicAuth) return `Basic ${Buffer.from(`${c.basicAuth.username}:${c.basicAuth.password}`).toString('base64')}`;
  return undefined;
}
