import type { CacheScope } from '@modelcontextprotocol/server';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import type { CheckState } from '../../monitor/schema.js';

/**
 * How long a read of the snapshot stays true: until the next scheduled sample that could change it. For one
 * check, its own next run (host checks: the next host sample); for the whole picture, the soonest of all. A
 * cron-scheduled check, or one whose run is overdue, gives 0 (do not cache: the next sample may come any time).
 */
export function msUntilNextSample(monitor: HealthMonitor, check?: string): number {
  const { config } = monitor;
  const snapshot = monitor.snapshot;
  const now = Date.now();
  const intervalOf = (c: CheckState): number | undefined => {
    if (c.group !== 'dependency') return config.host.interval;
    const cfg = config.checks.find((d) => d.name === c.name);
    return cfg?.cron ? undefined : (cfg?.every ?? config.checkInterval);
  };
  const next = (c: CheckState): number => {
    const every = intervalOf(c);
    const at = Date.parse(c.time);
    if (every === undefined || !Number.isFinite(at)) return 0;
    return Math.max(0, Math.floor(at + every - now));
  };
  const checks =
    check === undefined
      ? Object.values(snapshot.checks)
      : [snapshot.checks[check]].filter((c): c is CheckState => c !== undefined);
  return checks.length ? Math.min(...checks.map(next)) : 0;
}

/**
 * What the daemon's fixed lists (tools, prompts, templates, discovery) may be cached for: they change only with
 * a restart (tools and prompts come from the code and config), so a client may keep them for a while.
 */
const LIST_TTL_MS = 5 * 60_000;

/**
 * The cache hints of a server's cacheable results, for the SDK's per-operation fallback. resources/list lists
 * the checks, which can change with any host sample (mounts come and go): it is good for one host interval.
 */
export function listCacheHints(scope: CacheScope, hostIntervalMs: number) {
  const hint = { ttlMs: LIST_TTL_MS, cacheScope: scope };
  return {
    'tools/list': hint,
    'prompts/list': hint,
    'resources/list': { ttlMs: hostIntervalMs, cacheScope: scope },
    'resources/templates/list': hint,
    'server/discover': hint,
  };
}
