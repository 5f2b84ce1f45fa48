import type { CheckState, CheckStatus, HealthEvent, Snapshot, StateStatus } from '../monitor/schema.js';
import type { Analysis } from '../analysis/index.js';
import { formatValue } from '../shared/format.js';
import { STATUS_ICON, STATUS_WORD } from '../shared/status.js';

/** One row of the status page; words and icons come from the same table `vitals check` prints. */
interface CheckRow {
  name: string;
  kind: string;
  group: CheckState['group'];
  status: StateStatus;
  word: string;
  icon: string;
  critical: boolean;
  value: string;
  observedValue: number | null;
  since: string;
  output: string;
}

interface Gauge {
  name: string;
  label: string;
  ratio: number | null;
  text: string;
  /** The status of the check judging this gauge (`cpu`, `memory`, `disk:/x`), so the card's colour follows it. */
  status: StateStatus;
  word: string;
}

/** An incident as the page lists it: the analysis' own sentence, so the page and diagnose agree. */
interface IncidentRow {
  check: string;
  status: 'warn' | 'fail';
  ongoing: boolean;
  start: string | null;
  end: string | null;
  durationSeconds: number | null;
  /** The cause as the analysis states it (the failing run's error, the crossed level). */
  reason: string;
  text: string;
}

export interface StatusView {
  time: string;
  hostname: string;
  status: CheckStatus;
  word: string;
  icon: string;
  checks: CheckRow[];
  gauges: Gauge[];
  /** Incidents of the last 24 hours from the analysis module, ongoing first. */
  incidents: IncidentRow[];
}

export interface StatusDelta {
  time: string;
  status: CheckStatus;
  word: string;
  icon: string;
  /** Rows that changed or appeared. */
  checks: CheckRow[];
  /** Names of rows that disappeared. */
  removed: string[];
  gauges: Gauge[];
  events: HealthEvent[];
  /** The whole incident list, when it changed. */
  incidents?: IncidentRow[];
}

function toRow(c: CheckState): CheckRow {
  return {
    name: c.name,
    kind: c.kind,
    group: c.group,
    status: c.status,
    word: STATUS_WORD[c.status],
    icon: STATUS_ICON[c.status],
    critical: c.critical,
    value: formatValue(c.observedValue, c.observedUnit),
    observedValue: c.observedValue,
    // A problem is dated from when it began (first crossing, first failed run), as every other reader does.
    since: c.problemSince ?? c.since,
    output: c.output,
  };
}

function gauges(s: Snapshot): Gauge[] {
  const out: Gauge[] = [];
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const add = (name: string, label: string, ratio: number) => {
    const status = s.checks[name]?.status ?? 'pending';
    out.push({ name, label, ratio, text: pct(ratio), status, word: STATUS_WORD[status] });
  };
  if (s.host.cpu) add('cpu', 'CPU', s.host.cpu.utilization);
  if (s.host.memory) add('memory', 'Memory', s.host.memory.utilization);
  for (const f of s.host.filesystems ?? []) add(`disk:${f.mountpoint}`, `Disk ${f.mountpoint}`, f.utilization);
  return out;
}

const GROUP_ORDER = { dependency: 0, host: 1, self: 2 } as const;
/** Problems first: what is failing, then what is warning, then what is still unknown, then what is fine. */
const STATUS_ORDER = { fail: 0, warn: 1, pending: 2, pass: 3 } as const;

/** The analysis' incidents as rows, each with the sentence diagnose would say about it. */
function incidentRows(a: Analysis): IncidentRow[] {
  const texts = new Map(
    a.findings
      .filter((f) => f.kind === 'incident')
      .map((f) => [`${f.check}@${f.figures.start ?? f.figures.end}`, f.text]),
  );
  return a.incidents
    .map((i) => ({
      check: i.check,
      status: i.status,
      ongoing: i.ongoing,
      start: i.start,
      end: i.end,
      durationSeconds: i.durationSeconds,
      reason: i.reason,
      text: texts.get(`${i.check}@${i.start ?? i.end}`) ?? `${i.check}: ${i.reason}`,
    }))
    .sort(
      (x, y) =>
        Number(y.ongoing) - Number(x.ongoing) ||
        Date.parse(y.start ?? y.end ?? '') - Date.parse(x.start ?? x.end ?? ''),
    );
}

export function toView(s: Snapshot, analysis?: Analysis): StatusView {
  const checks = Object.values(s.checks)
    .map(toRow)
    .sort(
      (a, b) =>
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        GROUP_ORDER[a.group] - GROUP_ORDER[b.group] ||
        a.name.localeCompare(b.name),
    );
  return {
    time: s.time,
    hostname: s.hostname,
    status: s.status,
    word: STATUS_WORD[s.status],
    icon: STATUS_ICON[s.status],
    checks,
    gauges: gauges(s),
    incidents: analysis ? incidentRows(analysis) : [],
  };
}

const sameRow = (a: CheckRow, b: CheckRow) =>
  a.status === b.status &&
  a.value === b.value &&
  a.since === b.since &&
  a.output === b.output &&
  a.critical === b.critical;

/** What changed from one view to the next; gauges are always sent (they move every tick). */
export function diff(prev: StatusView, next: StatusView, events: HealthEvent[]): StatusDelta {
  const before = new Map(prev.checks.map((c) => [c.name, c]));
  const names = new Set(next.checks.map((c) => c.name));
  return {
    time: next.time,
    status: next.status,
    word: next.word,
    icon: next.icon,
    checks: next.checks.filter((c) => {
      const p = before.get(c.name);
      return !p || !sameRow(p, c);
    }),
    removed: prev.checks.filter((c) => !names.has(c.name)).map((c) => c.name),
    gauges: next.gauges,
    events,
    ...(JSON.stringify(prev.incidents) !== JSON.stringify(next.incidents) ? { incidents: next.incidents } : {}),
  };
}
