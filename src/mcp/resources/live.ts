import type { AuthInfo, LoggingLevel, McpServer } from '@modelcontextprotocol/server';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { LIMITS_DEFAULTS, type LimitsConfig } from '../../config/limits.js';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import { countRefusal } from '../../shared/refusals.js';
import type { HealthEvent } from '../../monitor/schema.js';
import { watchChanges, type ChangeWatch, type ResourceChange } from './changes.js';
import { canonicalUri, EVENTS_URI, HEALTH_URI } from './index.js';

export type SubscriptionLimits = Pick<
  LimitsConfig,
  'subscriptionsPerSession' | 'subscriptionsPerPrincipal' | 'uriBytes'
>;

/**
 * Subscriptions held per principal across all its sessions, so one token cannot open many sessions to get
 * around the per-session bound. One per daemon; a session gives its share back when it ends.
 */
export class SubscriptionBudget {
  private readonly held = new Map<string, number>();
  constructor(readonly limits: SubscriptionLimits = LIMITS_DEFAULTS) {}

  take(principal: string): boolean {
    const n = this.held.get(principal) ?? 0;
    if (n >= this.limits.subscriptionsPerPrincipal) return false;
    this.held.set(principal, n + 1);
    return true;
  }

  give(principal: string, count = 1): void {
    const n = (this.held.get(principal) ?? 0) - count;
    if (n > 0) this.held.set(principal, n);
    else this.held.delete(principal);
  }

  heldBy(principal: string): number {
    return this.held.get(principal) ?? 0;
  }
}

/** Who holds a subscription: the authenticated principal, else everyone unauthenticated on this transport together. */
function principalOf(ctx: unknown): string {
  const c = ctx as { http?: { authInfo?: AuthInfo }; authInfo?: AuthInfo } | undefined;
  const info = c?.http?.authInfo ?? c?.authInfo;
  return info ? `${String(info.extra?.kind ?? 'token')}:${info.clientId}` : 'anonymous';
}

const SUBSCRIBABLE = /^vitals:\/\/(health|events|checks\/[^/]+)$/;

function levelOf(e: HealthEvent): LoggingLevel {
  if (e.type === 'breaker') return e.to === 'open' ? 'warning' : 'info';
  return e.to === 'fail' ? 'error' : e.to === 'warn' ? 'warning' : 'notice';
}

/**
 * How a server instance delivers changes, by what its connection can carry:
 * - `session`: a 2025-era connection that lives on (stdio, stateful HTTP): `resources/subscribe` per URI,
 *   `notifications/resources/updated` for those, and every transition as a `notifications/message` log line.
 * - `listen`: a 2026-07-28 stdio connection: the SDK's entry serves `subscriptions/listen` and routes each
 *   `notifications/resources/updated` this instance sends to the subscriptions that asked for its URI.
 * - `bus`: a per-request 2026-07-28 HTTP instance: listens are served by the HTTP handler from the daemon's
 *   event bus (`publishChanges`), so the instance only advertises the capability.
 * - `none`: a per-request 2025-era HTTP instance: nothing can ever be pushed on it, so nothing is claimed.
 */
export type LiveMode = 'session' | 'listen' | 'bus' | 'none';

/**
 * Wires change delivery into one server instance per `mode`. Must be called before the server is connected
 * (capabilities are fixed at connect).
 */
export function attachLiveUpdates(
  server: McpServer,
  monitor: HealthMonitor,
  budget = new SubscriptionBudget(),
  mode: LiveMode = 'session',
): { subscriptions: ReadonlySet<string>; detach: () => void } {
  const low = server.server;
  const subscriptions = new Set<string>();
  if (mode === 'none') {
    low.registerCapabilities({ resources: { listChanged: false } });
    return { subscriptions, detach: () => undefined };
  }
  low.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  if (mode === 'bus') return { subscriptions, detach: () => undefined };

  const { limits } = budget;
  /** The principal this session's subscriptions are counted against (a session belongs to one). */
  let owner: string | undefined;
  let watch: ChangeWatch | undefined;
  let connected = false;
  const detach = () => {
    watch?.stop();
    watch = undefined;
    if (owner !== undefined && subscriptions.size) budget.give(owner, subscriptions.size);
    subscriptions.clear();
  };
  /** A server whose transport went away stops listening, whoever closed it. */
  const live = (): boolean => {
    if (server.isConnected()) {
      connected = true;
      return true;
    }
    if (connected) detach();
    return false;
  };
  const send = (c: ResourceChange) => {
    if (!live()) return;
    if (mode === 'session' && !subscriptions.has(c.uri)) return;
    // The 2025 schema has only the URI; the 2026 one lets us say what changed, so a client need not re-read.
    void low.sendResourceUpdated((mode === 'listen' ? c : { uri: c.uri }) as { uri: string }).catch(() => {});
  };
  const logLine = (e: HealthEvent, line: string) => {
    // Logging is deprecated in 2026-07-28 (OpenTelemetry replaces it); 2025-era sessions keep their log lines.
    if (mode !== 'session' || !live()) return;
    void server
      .sendLoggingMessage(
        { level: levelOf(e), logger: 'mcp-vitals', data: { message: line, ...e } },
        low.transport?.sessionId,
      )
      .catch(() => {});
  };
  // The check resources are listed from the snapshot: host checks appear with the first sample, disks come and
  // go with mounts. Clients are told when that set changes, as the listChanged capability promises.
  const listChanged = () => {
    if (live()) void low.sendResourceListChanged().catch(() => {});
  };
  watch = watchChanges(monitor, { onChange: send, onEvent: logLine, onListChanged: listChanged });

  if (mode === 'session') {
    // Checked before anything is kept: a client chooses these URIs, and each would otherwise be held for the session's
    // life.
    const validUri = (uri: string): string => {
      if (Buffer.byteLength(uri) > limits.uriBytes) {
        countRefusal('uri_bytes');
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `resource URI longer than the limit of ${limits.uriBytes} bytes`,
        );
      }
      const canonical = canonicalUri(uri);
      if (!SUBSCRIBABLE.test(canonical))
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `unknown resource; subscribable: ${HEALTH_URI}, ${EVENTS_URI}, vitals://checks/{name}`,
        );
      return canonical;
    };
    low.setRequestHandler('resources/subscribe', async (req, ctx) => {
      const uri = validUri(req.params.uri);
      if (subscriptions.has(uri)) return {};
      if (subscriptions.size >= limits.subscriptionsPerSession) {
        countRefusal('subscriptions_per_session');
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `too many subscriptions in this session (limit ${limits.subscriptionsPerSession}); unsubscribe from ` +
            `some first`,
        );
      }
      owner ??= principalOf(ctx);
      if (!budget.take(owner)) {
        countRefusal('subscriptions_per_principal');
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `too many subscriptions for this principal across its sessions (limit ${limits.subscriptionsPerPrincipal}` +
            `); unsubscribe or end sessions first`,
        );
      }
      subscriptions.add(uri);
      return {};
    });
    low.setRequestHandler('resources/unsubscribe', async (req) => {
      if (subscriptions.delete(validUri(req.params.uri)) && owner !== undefined) budget.give(owner);
      return {};
    });
  }
  const prevClose = low.onclose;
  low.onclose = () => {
    detach();
    prevClose?.();
  };
  return { subscriptions, detach };
}
