import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { LIMITS_DEFAULTS, type LimitsConfig } from '../../config/limits.js';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import { countRefusal } from '../../shared/refusals.js';
import type { CheckStatus, HealthEvent, Snapshot } from '../../monitor/schema.js';
import { canonicalUri, checkUri, EVENTS_URI, HEALTH_URI } from './index.js';

interface Listener {
  onEvent(e: HealthEvent): void;
  /** `names`: the snapshot's check names, one string, computed once for every listener. */
  onSnapshot(s: Snapshot, names: string): void;
}

const namesOf = (s: Snapshot) => Object.keys(s.checks).sort().join('\n');

/**
 * One pair of monitor listeners fanning out to every connected server: a daemon serving many HTTP sessions
 * would otherwise add two listeners per session to the monitor.
 */
const hubs = new WeakMap<HealthMonitor, Set<Listener>>();

function join(monitor: HealthMonitor, l: Listener): () => void {
  let set = hubs.get(monitor);
  if (!set) {
    const members = new Set<Listener>();
    set = members;
    hubs.set(monitor, members);
    monitor.on('event', (e) => {
      for (const m of members) m.onEvent(e);
    });
    monitor.on('snapshot', (s) => {
      if (!members.size) return;
      const names = namesOf(s);
      for (const m of members) m.onSnapshot(s, names);
    });
  }
  set.add(l);
  return () => void set.delete(l);
}

export type SubscriptionLimits = Pick<LimitsConfig, 'subscriptionsPerSession' | 'subscriptionsPerPrincipal' | 'uriBytes'>;

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
function principalOf(extra: unknown): string {
  const info = (extra as { authInfo?: AuthInfo } | undefined)?.authInfo;
  return info ? `${String(info.extra?.kind ?? 'token')}:${info.clientId}` : 'anonymous';
}

const SUBSCRIBABLE = /^vitals:\/\/(health|events|checks\/[^/]+)$/;

/** Notifications for one change go out together, a moment after it, once the snapshot reflects it. */
const COALESCE_MS = 25;

function levelOf(e: HealthEvent): LoggingLevel {
  if (e.type === 'breaker') return e.to === 'open' ? 'warning' : 'info';
  return e.to === 'fail' ? 'error' : e.to === 'warn' ? 'warning' : 'notice';
}

/**
 * Pushes changes to one connected client. The SDK's McpServer does not implement resources/subscribe, so
 * the low-level handlers are registered here, with the subscriptions of this server (one client, one
 * session) in a Set. A subscribed resource gets `notifications/resources/updated` when its status changes —
 * a check on its own transitions, vitals://health on any check's or the overall status, vitals://events on
 * any event — never on a mere new sample. Every transition is also sent as a `notifications/message` log
 * line, which the SDK filters by the level the client chose with logging/setLevel.
 *
 * Must be called before the server is connected (capabilities are fixed at connect).
 */
export function attachLiveUpdates(server: McpServer, monitor: HealthMonitor, budget = new SubscriptionBudget()): { subscriptions: ReadonlySet<string>; detach: () => void } {
  const low = server.server;
  const { limits } = budget;
  const subscriptions = new Set<string>();
  /** The principal this session's subscriptions are counted against (a session belongs to one). */
  let owner: string | undefined;
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let lastStatus: CheckStatus | undefined = monitor.snapshot.status;

  low.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  // Checked before anything is kept: a client chooses these URIs, and each would otherwise be held for the session's life.
  const validUri = (uri: string): string => {
    if (Buffer.byteLength(uri) > limits.uriBytes) {
      countRefusal('uri_bytes');
      throw new McpError(ErrorCode.InvalidParams, `resource URI longer than the limit of ${limits.uriBytes} bytes`);
    }
    const canonical = canonicalUri(uri);
    if (!SUBSCRIBABLE.test(canonical)) throw new McpError(ErrorCode.InvalidParams, `unknown resource; subscribable: ${HEALTH_URI}, ${EVENTS_URI}, vitals://checks/{name}`);
    return canonical;
  };
  low.setRequestHandler(SubscribeRequestSchema, async (req, extra) => {
    const uri = validUri(req.params.uri);
    if (subscriptions.has(uri)) return {};
    if (subscriptions.size >= limits.subscriptionsPerSession) {
      countRefusal('subscriptions_per_session');
      throw new McpError(ErrorCode.InvalidRequest, `too many subscriptions in this session (limit ${limits.subscriptionsPerSession}); unsubscribe from some first`);
    }
    owner ??= principalOf(extra);
    if (!budget.take(owner)) {
      countRefusal('subscriptions_per_principal');
      throw new McpError(ErrorCode.InvalidRequest, `too many subscriptions for this principal across its sessions (limit ${limits.subscriptionsPerPrincipal}); unsubscribe or end sessions first`);
    }
    subscriptions.add(uri);
    return {};
  });
  low.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    if (subscriptions.delete(validUri(req.params.uri)) && owner !== undefined) budget.give(owner);
    return {};
  });

  const flush = () => {
    timer = undefined;
    const uris = [...pending];
    pending.clear();
    for (const uri of uris) void low.sendResourceUpdated({ uri }).catch(() => {});
  };
  const mark = (uri: string) => {
    if (!subscriptions.has(uri)) return;
    pending.add(uri);
    timer ??= setTimeout(flush, COALESCE_MS);
  };

  let connected = false;
  const onEvent = (e: HealthEvent) => {
    if (!live()) return;
    if (e.type === 'status') {
      mark(checkUri(e.check));
      mark(HEALTH_URI);
    }
    mark(EVENTS_URI);
    const data = { message: `${e.check} ${e.type === 'breaker' ? 'breaker ' : ''}${e.from} → ${e.to}: ${e.reason}`, ...e };
    void server.sendLoggingMessage({ level: levelOf(e), logger: 'mcp-vitals', data }, low.transport?.sessionId).catch(() => {});
  };
  // The check resources are listed from the snapshot: host checks appear with the first sample, disks come
  // and go with mounts. Clients are told when that set changes, as the listChanged capability promises.
  let names = namesOf(monitor.snapshot);
  const onSnapshot = (s: Snapshot, next: string) => {
    if (!live()) return;
    if (s.status !== lastStatus) mark(HEALTH_URI);
    lastStatus = s.status;
    if (next !== names) {
      names = next;
      void low.sendResourceListChanged().catch(() => {});
    }
  };
  const leave = join(monitor, { onEvent, onSnapshot });
  const detach = () => {
    leave();
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (owner !== undefined && subscriptions.size) budget.give(owner, subscriptions.size);
    subscriptions.clear();
  };
  /** A server whose transport went away stops listening, whoever closed it. */
  function live(): boolean {
    if (server.isConnected()) return (connected = true);
    if (connected) detach();
    return false;
  }
  const prevClose = low.onclose;
  low.onclose = () => {
    detach();
    prevClose?.();
  };
  return { subscriptions, detach };
}
