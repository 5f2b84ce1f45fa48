import { createRequire } from 'node:module';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import type { CheckStatus, HealthEvent, Snapshot } from '../../monitor/schema.js';
import { headline } from '../../monitor/summary.js';
import { checkUri, EVENTS_URI, HEALTH_URI } from './index.js';

/**
 * What changed, carried in `notifications/resources/updated` next to the URI, so a client need not re-read
 * the resource to learn it: the status now, the check and the event that changed it.
 */
export interface ResourceChange {
  uri: string;
  /** Overall status (vitals://health), the check's (vitals://checks/…), or the event's new state (vitals://events). */
  status: string;
  check?: string;
  event?: { id: string; type: HealthEvent['type']; from: string; to: string; time: string; headline: string };
  /** vitals://health: the one-line summary of the snapshot. */
  summary?: string;
}

// node:crypto loads on the first event, not with the server: an ESM import of it also evaluates WebCrypto (its
// namespace reads every lazy export), ~2 ms of a cold start that answers `initialize` before any event.
const load = createRequire(import.meta.url);
let nodeCrypto: typeof import('node:crypto') | undefined;
const sha256 = () => {
  nodeCrypto ??= load('node:crypto') as typeof import('node:crypto');
  return nodeCrypto.createHash('sha256');
};

/** Same event, same id, on every replica that saw it (an id for de-duplication, not a secret). */
const eventId = (e: HealthEvent): string =>
  sha256().update(`${e.time}\n${e.check}\n${e.type}\n${e.from}\n${e.to}`).digest('hex').slice(0, 16);

const eventHeadline = (e: HealthEvent): string =>
  `${e.check} ${e.type === 'breaker' ? 'breaker ' : ''}${e.from} → ${e.to}: ${e.reason}`;

interface Listener {
  onEvent(e: HealthEvent): void;
  /** `names`: the snapshot's check names, one string, computed once for every listener. */
  onSnapshot(s: Snapshot, names: string): void;
}

const namesOf = (s: Snapshot) => Object.keys(s.checks).sort().join('\n');

/**
 * One pair of monitor listeners fanning out to every watcher: a daemon serving many sessions would otherwise
 * add two listeners per session to the monitor.
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

export interface ChangeWatch {
  stop(): void;
}

export interface ChangeHandlers {
  onChange(c: ResourceChange): void;
  /** Every event as it happens (2025-era log lines). */
  onEvent?(e: HealthEvent, headline: string): void;
  /** The set of check resources changed (host checks with the first sample, mounts coming and going). */
  onListChanged?(): void;
}

/**
 * Calls `onChange` for each resource whose state changed: a check on its own transitions, vitals://health on
 * any check's transition or a change of the overall status, vitals://events on any event; never on a mere new
 * sample. Changes within a few milliseconds of each other are coalesced per URI (the last one wins, read after
 * the snapshot reflects it).
 */
export function watchChanges(
  monitor: HealthMonitor,
  { onChange, onEvent, onListChanged }: ChangeHandlers,
): ChangeWatch {
  const pending = new Map<string, Omit<ResourceChange, 'status' | 'summary'> & { status?: string }>();
  let timer: NodeJS.Timeout | undefined;
  let lastStatus: CheckStatus | undefined = monitor.snapshot.status;
  let names = namesOf(monitor.snapshot);
  const flush = () => {
    timer = undefined;
    const s = monitor.snapshot;
    const batch = [...pending.values()];
    pending.clear();
    for (const c of batch) {
      if (c.uri === HEALTH_URI) onChange({ ...c, status: s.status, summary: headline(s) });
      else if (c.check && c.uri !== EVENTS_URI)
        onChange({ ...c, status: s.checks[c.check]?.status ?? c.status ?? 'unknown' });
      else onChange({ ...c, status: c.status ?? 'unknown' });
    }
  };
  const mark = (change: Omit<ResourceChange, 'status' | 'summary'> & { status?: string }) => {
    pending.set(change.uri, change);
    timer ??= setTimeout(flush, COALESCE_MS);
  };
  const leave = join(monitor, {
    onEvent(e) {
      const line = eventHeadline(e);
      const event = { id: eventId(e), type: e.type, from: e.from, to: e.to, time: e.time, headline: line };
      if (e.type === 'status') {
        mark({ uri: checkUri(e.check), check: e.check, event, status: e.to });
        mark({ uri: HEALTH_URI, check: e.check, event });
      }
      mark({ uri: EVENTS_URI, check: e.check, event, status: e.to });
      onEvent?.(e, line);
    },
    onSnapshot(s, next) {
      if (s.status !== lastStatus && !pending.has(HEALTH_URI)) mark({ uri: HEALTH_URI });
      lastStatus = s.status;
      if (next === names) return;
      names = next;
      onListChanged?.();
    },
  });
  return {
    stop() {
      leave();
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}

/** Feeds the daemon's listen bus: one publisher per daemon, whatever number of listeners the bus serves. */
export function publishChanges(
  monitor: HealthMonitor,
  bus: {
    publish(
      event:
        | { kind: 'resource_updated'; uri: string; params?: Record<string, unknown> }
        | { kind: 'resources_list_changed' },
    ): void;
  },
): ChangeWatch {
  return watchChanges(monitor, {
    onChange: (c) => bus.publish({ kind: 'resource_updated', uri: c.uri, params: { ...c } }),
    onListChanged: () => bus.publish({ kind: 'resources_list_changed' }),
  });
}
