import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { MonitorEvents, SnapshotChanges } from '../monitor/health-monitor.js';
import { hostCollectors, hostView, stateOf, type AnyHostCollector } from '../monitor/host-view.js';
import type { HealthEvent, ProcessRow, Snapshot } from '../monitor/schema.js';
import { STATUS_RANK as STATUS_VALUE } from '../shared/status.js';
import { seriesName } from './series.js';
import type { History } from './types.js';

type CheckFamily = 'check.status' | 'check.value' | 'check.latency';
const NAMES: Record<CheckFamily, Map<string, string>> = {
  'check.status': new Map(),
  'check.value': new Map(),
  'check.latency': new Map(),
};
/** Names kept per family at most: checks come from the configuration, so this is only a guard against churn. */
const NAMES_MAX = 10_000;

/**
 * A check's series name, built once per check rather than once per sample: every append would otherwise make
 * the string again and hash it again to find its series.
 */
function checkSeries(family: CheckFamily, check: string): string {
  const names = NAMES[family];
  let name = names.get(check);
  if (name === undefined) {
    if (names.size >= NAMES_MAX) names.clear();
    name = seriesName(family, check);
    names.set(check, name);
  }
  return name;
}

/** The series one snapshot holds, each at the time it was observed. */
export function seriesOf(
  s: Snapshot,
  options: { host: boolean; checks: ReadonlySet<string> },
): { time: number; values: [string, number][] }[] {
  const out: { time: number; values: [string, number][] }[] = [];
  if (options.host) {
    const v: [string, number][] = [];
    const host = hostView(s);
    for (const c of hostCollectors as readonly AnyHostCollector[]) {
      const state = c.series && stateOf(c, host);
      if (state) v.push(...c.series!.values(state));
    }
    // Host and self checks are re-judged on every publish; they are recorded with the host sample they judge.
    for (const c of Object.values(s.checks)) {
      if (c.group === 'dependency' || c.status === 'pending') continue;
      v.push([checkSeries('check.status', c.name), STATUS_VALUE[c.status]]);
      if (c.observedValue !== null) v.push([checkSeries('check.value', c.name), c.observedValue]);
    }
    out.push({ time: Date.parse(s.time), values: v });
  }
  for (const name of options.checks) {
    const c = s.checks[name];
    // A pending check has no result to record.
    if (c?.group !== 'dependency' || c.status === 'pending') continue;
    const v: [string, number][] = [[checkSeries('check.status', c.name), STATUS_VALUE[c.status]]];
    if (c.latencySeconds !== null && c.latencySeconds !== undefined)
      v.push([checkSeries('check.latency', c.name), c.latencySeconds]);
    out.push({ time: Date.parse(c.time), values: v });
  }
  return out;
}

export interface RecorderOptions {
  /** Takes the process table when a check turns bad, so a diagnosis can say what ran then; optional. */
  captureProcesses?: () => Promise<ProcessRow[]>;
  log?: Logger;
}

/**
 * Feeds the history from the monitor's events rather than from inside it: each 'snapshot' contributes the
 * series that changed since the previous one (the host when a host sample came in, a dependency when its
 * round finished), and each 'event' is stored as is.
 */
export class Recorder {
  private readonly lastCheckTime = new Map<string, string>();
  private lastCapture = 0;
  private readonly onSnapshot = (s: Snapshot, changes: SnapshotChanges) => this.record(s, changes);
  private readonly onEvent = (e: HealthEvent) => this.recordEvent(e);

  constructor(
    private readonly monitor: EventEmitter<MonitorEvents>,
    private readonly history: History,
    private readonly options: RecorderOptions = {},
  ) {}

  start(): void {
    this.monitor.on('snapshot', this.onSnapshot);
    this.monitor.on('event', this.onEvent);
  }

  stop(): void {
    this.monitor.off('snapshot', this.onSnapshot);
    this.monitor.off('event', this.onEvent);
  }

  /**
   * Appends the samples a snapshot adds: the host when it was sampled and the checks that ran, from the
   * monitor's change set, so the work is O(changes), not O(checks). A check named again without a new result
   * (a run that was skipped) is not recorded twice.
   */
  record(s: Snapshot, changes: SnapshotChanges): void {
    const hostChanged = changes.host && Object.keys(s.host).length > 0;
    const fresh = new Set<string>();
    for (const name of changes.checks) {
      const c = s.checks[name];
      if (c?.group !== 'dependency' || c.runs === 0 || this.lastCheckTime.get(c.name) === c.time) continue;
      this.lastCheckTime.set(c.name, c.time);
      fresh.add(c.name);
    }
    if (!hostChanged && fresh.size === 0) return;
    for (const { time, values } of seriesOf(s, { host: hostChanged, checks: fresh })) this.history.append(time, values);
  }

  private recordEvent(e: HealthEvent): void {
    this.history.recordEvent(e);
    if (e.type !== 'status' || (e.to !== 'fail' && e.to !== 'warn') || !this.options.captureProcesses) return;
    // At most one capture every 5 s: a storm of transitions must not become a storm of /proc scans.
    const now = Date.now();
    if (now - this.lastCapture < 5000) return;
    this.lastCapture = now;
    this.options
      .captureProcesses()
      .then((processes) =>
        this.history.recordProcesses({ time: Date.now(), reason: `${e.check} ${e.from} → ${e.to}`, processes }),
      )
      .catch((err: unknown) =>
        this.options.log?.debug({ err: (err as Error)?.message }, 'history: process capture failed'),
      );
  }
}
