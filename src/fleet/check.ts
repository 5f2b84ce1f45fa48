import { CheckConfig } from '../config/checks.js';
import { authorizationFor, FLEET_CHECK, type PrometheusSourceConfig } from '../config/fleet.js';
import type { Config } from '../config/schema.js';

/**
 * The `fleet` dependency check: an http check that asks the Prometheus source a trivial query on a schedule,
 * so the source's health, timeout and breaker are those of any dependency (it fails, never hangs, when
 * Prometheus is away) and show in health_check, /readyz (when critical) and the metrics.
 */
export function fleetCheck(p: PrometheusSourceConfig): CheckConfig {
  const auth = authorizationFor(p);
  return CheckConfig.parse({
    name: FLEET_CHECK,
    kind: 'http',
    description: 'the Prometheus source of the fleet tools',
    url: `${p.url.replace(/\/$/, '')}/api/v1/query?query=vector(1)`,
    headers: auth ? { Authorization: auth } : {},
    json: { path: 'status', equals: 'success' },
    every: p.check.every,
    timeout: p.timeout,
    critical: p.check.critical,
    breaker: p.breaker,
    tls: { insecureSkipVerify: p.tls.insecureSkipVerify, ...(p.tls.ca ? { ca: p.tls.ca } : {}) },
  });
}

/** The config with the fleet check added when a Prometheus source asks for one. */
export function withFleetCheck(config: Config): Config {
  const p = config.fleet?.prometheus;
  if (!p?.check.enabled) return config;
  return { ...config, checks: [...config.checks, fleetCheck(p)] };
}
