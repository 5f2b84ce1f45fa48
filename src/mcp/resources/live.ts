import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
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
export function attachLiveUpdates(server: McpServer, monitor: HealthMonitor): { subscriptions: ReadonlySet<string>; detach: () => void } {
  const low = server.server;
  const subscriptions = new Set<string>();
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let lastStatus: CheckStatus | undefined = monitor.snapshot.status;

  low.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  low.setRequestHandler(SubscribeRequestSchema, async (req) => {
    subscriptions.add(canonicalUri(req.params.uri));
    return {};
  });
  low.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscriptions.delete(canonicalUri(req.params.uri));
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
