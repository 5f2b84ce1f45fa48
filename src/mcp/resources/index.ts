import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import { headline, problems } from '../../monitor/summary.js';

export const HEALTH_URI = 'vitals://health';
export const EVENTS_URI = 'vitals://events';
const CHECK_PREFIX = 'vitals://checks/';

/** Check names may hold ':' and '/' (`disk:/var`): the URI carries them percent-encoded. */
export const checkUri = (name: string): string => `${CHECK_PREFIX}${encodeURIComponent(name)}`;

/** One spelling per resource, whether the client sent the name encoded or not. */
export function canonicalUri(uri: string): string {
  if (!uri.startsWith(CHECK_PREFIX)) return uri;
  const rest = uri.slice(CHECK_PREFIX.length);
  try {
    return checkUri(decodeURIComponent(rest));
  } catch {
    return uri;
  }
}

const json = (uri: string, value: unknown): ReadResourceResult => ({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] });

/**
 * Read-only views of the latest snapshot: the whole health picture, one check, and the recent events.
 * Reads are O(1) from the monitor, like the tools; subscriptions are wired by `attachLiveUpdates`.
 */
export function registerResources(server: McpServer, monitor: HealthMonitor): void {
  server.registerResource(
    'health',
    HEALTH_URI,
    {
      title: 'Health snapshot',
      description: 'The latest snapshot: overall status, every check with its value, thresholds and reason, host figures. Subscribe to be told when a status changes.',
      mimeType: 'application/json',
    },
    async (uri) => {
      await monitor.ready;
      const s = monitor.snapshot;
      return json(uri.href, { summary: headline(s), problems: problems(s), ...s });
    },
  );

  server.registerResource(
    'check',
    new ResourceTemplate(`${CHECK_PREFIX}{name}`, {
      // Host checks exist from the first sample on: listing and completing wait for it, as reads do.
      list: async () => {
        await monitor.ready;
        return { resources: Object.values(monitor.snapshot.checks).map((c) => ({
          uri: checkUri(c.name),
          name: c.name,
          title: `Check ${c.name}`,
          description: `${c.kind} check, now ${c.status}`,
          mimeType: 'application/json',
        })) };
      },
      complete: { name: async (value) => (await monitor.ready, Object.keys(monitor.snapshot.checks).filter((n) => n.startsWith(value))) },
    }),
    {
      title: 'Check',
      description: 'One check: status, observed value, thresholds, reason, since when, and its recent events. Subscribe to be told when its status changes.',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      await monitor.ready;
      const raw = Array.isArray(variables.name) ? variables.name.join(',') : String(variables.name);
      let name = raw;
      try {
        name = decodeURIComponent(raw);
      } catch {
        /* not encoded */
      }
      const c = monitor.snapshot.checks[name];
      // The name is the client's: echo a bounded piece of it, never a megabyte back.
      if (!c) throw new McpError(ErrorCode.InvalidParams, `unknown check "${name.length > 100 ? `${name.slice(0, 100)}…` : name}"; known: ${Object.keys(monitor.snapshot.checks).join(', ')}`);
      return json(uri.href, { ...c, events: monitor.events({ check: name, limit: 20 }) });
    },
  );

  server.registerResource(
    'events',
    EVENTS_URI,
    {
      title: 'Recent events',
      description: 'Status transitions and circuit-breaker changes, newest first (the last 100). Subscribe to be told of new ones.',
      mimeType: 'application/json',
    },
    async (uri) => {
      await monitor.ready;
      return json(uri.href, { events: monitor.events({ limit: 100 }) });
    },
  );
}
