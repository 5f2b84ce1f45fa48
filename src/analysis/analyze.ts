import type { CheckState } from '../monitor/schema.js';
import { formatValue } from '../shared/format.js';
import { countStatuses, statusWord } from '../shared/status.js';
import { clockTime, plural, roughDuration, sinceText } from '../shared/words.js';
import type { ProcessSnapshot } from '../store/types.js';
import { sharedStarts } from './correlation.js';
import { buildIncidents, inWindow, peakBetween, valueSeriesOf, type IncidentSpan } from './incidents.js';
import { averageBetween, diskEta, MIN_TREND_SPAN_MS } from './trends.js';
import type { Analysis, AnalysisInput, Finding, Incident, SeriesData } from './types.js';

/** How far before a problem began an event or a resource move counts as "just before". */
export const BEFORE_MS = 15 * 60_000;
/** Resource series compared before each incident (plus every disk). */
export const RESOURCE_SERIES = [
  'cpu.utilization',
  'memory.utilization',
  'swap.utilization',
  'load.1m',
  'self.rss',
] as const;
/** A process table counts for an incident when taken this close to its start. */
const PROCESS_NEAR_MS = 2 * 60_000;

const iso = (t: number) => new Date(t).toISOString();
const round = (v: number, digits = 6) => Number(v.toFixed(digits));
const word = statusWord;

function unitOfSeries(name: string, s: SeriesData | undefined): string {
  return s?.unit ?? (name.startsWith('check.latency:') ? 's' : 'ratio');
}

const fmt = (v: number, unit: string) =>
  unit === 'ratio' || unit === 's' || unit === 'By'
    ? formatValue(v, unit)
    : Math.abs(v) >= 100
      ? v.toFixed(0)
      : v.toPrecision(3);

/**
 * A change big enough to mention: ratios that moved 10 percentage points or crossed 90 %, other values that
 * rose by half (and by at least 1 for load).
 */
function notable(name: string, unit: string, before: number, recent: number, recentMax: number): boolean {
  if (unit === 'ratio') return Math.abs(recent - before) >= 0.1 || (recentMax >= 0.9 && before < 0.9);
  const min = name === 'load.1m' ? 1 : 0;
  return recent >= before * 1.5 && recent - before >= min && recent > 0;
}

function toIncident(i: IncidentSpan, now: number, series: AnalysisInput['series']): Incident {
  const s = valueSeriesOf(i.check, series);
  const peak = i.start === undefined ? undefined : peakBetween(s, i.start, i.end ?? now);
  return {
    check: i.check,
    status: i.status,
    start: i.start === undefined ? null : iso(i.start),
    reportedAt: i.reportedAt === undefined ? null : iso(i.reportedAt),
    end: i.end === undefined ? null : iso(i.end),
    ongoing: i.end === undefined,
    durationSeconds: i.start === undefined ? null : Math.round(((i.end ?? now) - i.start) / 1000),
    reason: i.reason,
    peak: peak === undefined ? null : { value: peak, unit: unitOfSeries(`check.latency:${i.check}`, s) },
    before: [],
    processes: null,
  };
}

/** "session-cache failed since 14:02:10, 3m ago" / "failed 14:02:10–14:03:18 (1m8s), ended 2m ago". */
function incidentText(i: IncidentSpan, inc: Incident, now: number): string {
  const w = word(i.status);
  const peak = inc.peak ? `; peak ${fmt(inc.peak.value, inc.peak.unit)}` : '';
  const first = i.from === 'unknown' && i.start !== undefined ? ' (never passed before)' : '';
  if (i.start === undefined) {
    return i.end === undefined
      ? `${i.check} ${w}, since before the recorded events: ${i.reason}`
      : `${i.check} was ${w} until ${clockTime(i.end, now)} (${roughDuration(now - i.end)}` +
          ` ago), since before the recorded events`;
  }
  const held =
    i.reportedAt !== undefined && i.reportedAt - i.start >= 1000
      ? `; reported ${roughDuration(i.reportedAt - i.start)} later`
      : '';
  if (i.end === undefined) return `${i.check} ${w} since ${sinceText(i.start, now)}${first}: ${i.reason}${held}${peak}`;
  return (
    `${i.check} was ${w} ${clockTime(i.start, now)}–${clockTime(i.end, now)} (${roughDuration(i.end - i.start)}` +
    `), ended ${roughDuration(now - i.end)} ago${first}: ${i.reason}${peak}`
  );
}

function processText(p: ProcessSnapshot): string {
  const byCpu = p.processes.slice(0, 3).map((x) => `${x.name} (pid ${x.pid}) ${x.cpuPercent.toFixed(0)}%`);
  const byMem = [...p.processes]
    .sort((a, b) => b.rssBytes - a.rssBytes)
    .slice(0, 2)
    .map((x) => `${x.name} ${formatValue(x.rssBytes, 'By')}`);
  return `by CPU ${byCpu.join(', ') || 'none'}; by memory ${byMem.join(', ') || 'none'}`;
}

/**
 * What broke, when and why, from plain inputs: incidents (ongoing, and finished inside the window), what
 * moved before each began, the processes captured then, problems that began together, holds running, and
 * disk-full ETAs from trends long enough to mean something. Where evidence is missing it says so.
 */
export function analyze(input: AnalysisInput): Analysis {
  const { now, windowMs, series } = input;
  const from = now - windowMs;
  const intervalOf = (check: string) => input.intervals[check] ?? input.defaultIntervalMs;
  const focus = input.check;
  const all = inWindow(buildIncidents(input.events, input.checks), from);
  const incidents = focus === undefined ? all : all.filter((i) => i.check === focus);
  const views = new Map(incidents.map((i) => [i, toIncident(i, now, series)]));
  const findings: Finding[] = [];
  const missing: string[] = [];

  // Ongoing first (failures before warnings, the first to break first), then finished ones, newest first.
  const order = [...incidents].sort((a, b) => {
    const oa = a.end === undefined ? 0 : 1;
    const ob = b.end === undefined ? 0 : 1;
    if (oa !== ob) return oa - ob;
    if (oa === 0) return a.status !== b.status ? (a.status === 'fail' ? -1 : 1) : (a.start ?? 0) - (b.start ?? 0);
    return (b.start ?? b.end ?? 0) - (a.start ?? a.end ?? 0);
  });
  // Problems that began together are said once, as a shared start, not as "before" each other.
  const shared = sharedStarts(incidents, intervalOf);
  const groupOf = new Map<string, Set<string>>();
  for (const g of shared) {
    const names = new Set(g.incidents.map((x) => x.check));
    for (const n of names) groupOf.set(n, names);
  }
  const usedCaptures = new Set<ProcessSnapshot>();
  let baselineMissing = false;
  const noCapture: string[] = [];
  const resources = [
    ...RESOURCE_SERIES.filter((n) => series[n]),
    ...Object.keys(series).filter((n) => n.startsWith('disk.utilization:')),
  ];
  for (const i of order) {
    const inc = views.get(i)!;
    findings.push({
      kind: 'incident',
      severity: i.end === undefined ? i.status : 'info',
      check: i.check,
      ...(i.start !== undefined ? { time: iso(i.start) } : {}),
      text: incidentText(i, inc, now),
      figures: {
        status: i.status,
        start: inc.start,
        end: inc.end,
        ongoing: inc.ongoing,
        durationSeconds: inc.durationSeconds,
        intervalSeconds: intervalOf(i.check) / 1000,
      },
    });
    if (i.start === undefined) continue;
    const start = i.start;

    // Other checks' transitions shortly before this one began.
    const before = input.events
      .filter(
        (e) =>
          e.check !== i.check &&
          !groupOf.get(i.check)?.has(e.check) &&
          Date.parse(e.time) < start &&
          Date.parse(e.time) >= start - BEFORE_MS,
      )
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
      .slice(0, 3);
    for (const e of before) {
      const dt = start - Date.parse(e.time);
      // A problem reported after a hold or a failure streak was under way earlier: say since when.
      const began =
        e.startedAt && (e.to === 'warn' || e.to === 'fail')
          ? ` (under way since ${clockTime(Date.parse(e.startedAt), now)})`
          : '';
      findings.push({
        kind: 'preceded_by',
        severity: 'info',
        check: i.check,
        time: e.time,
        text:
          `${roughDuration(dt)} before ${i.check} began: ${e.check} ${e.type === 'breaker' ? 'breaker ' : ''}` +
          `${word(e.from)} → ${word(e.to)}${began}`,
        figures: {
          secondsBefore: Math.round(dt / 1000),
          eventCheck: e.check,
          eventType: e.type,
          from: e.from,
          to: e.to,
          reason: e.reason,
        },
      });
      inc.before.push(findings[findings.length - 1]!.text);
    }

    // Host resources in the minutes before, against the hour before that.
    for (const name of resources) {
      const s = series[name]!;
      const recent = averageBetween(s, start - BEFORE_MS, start);
      const base = averageBetween(s, start - BEFORE_MS - 3_600_000, start - BEFORE_MS);
      if (recent && !base) baselineMissing = true;
      if (!recent || !base || !notable(name, s.unit, base.avg, recent.avg, recent.max)) continue;
      findings.push({
        kind: 'resource_change',
        severity: 'info',
        check: i.check,
        time: iso(start),
        text:
          `${name} went from avg ${fmt(base.avg, s.unit)} to ${fmt(recent.avg, s.unit)} (` +
          `max ${fmt(recent.max, s.unit)}) in the 15m before ${i.check} began`,
        figures: {
          series: name,
          unit: s.unit,
          baselineAvg: round(base.avg),
          recentAvg: round(recent.avg),
          recentMax: round(recent.max),
          recentSamples: recent.count,
        },
      });
      inc.before.push(findings[findings.length - 1]!.text);
    }

    // The process table captured nearest the start; one shared by several incidents is shown once.
    let near: ProcessSnapshot | undefined;
    for (const p of input.processes)
      if (
        Math.abs(p.time - start) <= PROCESS_NEAR_MS &&
        (!near || Math.abs(p.time - start) < Math.abs(near.time - start))
      )
        near = p;
    if (near) {
      // The structured content has the capture on every incident it belongs to; the text says it once.
      if (!usedCaptures.has(near)) {
        usedCaptures.add(near);
        const offset = roughDuration(Math.abs(near.time - start));
        findings.push({
          kind: 'processes',
          severity: 'info',
          check: i.check,
          time: iso(near.time),
          text: `processes ${offset} ${near.time >= start ? 'after' : 'before'} ${i.check} began: ${processText(near)}`,
          figures: Object.fromEntries(
            near.processes.slice(0, 3).flatMap((p, k) => [
              [`cpu${k + 1}`, `${p.name}:${p.pid}`],
              [`cpu${k + 1}Percent`, p.cpuPercent],
            ]),
          ),
        });
      }
      inc.processes = {
        time: iso(near.time),
        top: near.processes
          .slice(0, 5)
          .map((p) => ({ name: p.name, pid: p.pid, cpuPercent: p.cpuPercent, rssBytes: p.rssBytes })),
      };
    } else if (i.status === 'fail' || i.check === 'cpu' || i.check === 'memory') noCapture.push(i.check);
  }
  if (noCapture.length)
    missing.push(
      `no process table was captured near the start of ` +
        (noCapture.length > 5
          ? `${noCapture.slice(0, 5).join(', ')} and ${noCapture.length - 5} more`
          : noCapture.join(', ')),
    );
  if (baselineMissing)
    missing.push(
      'no history from the hour before to compare resources against (' +
        'the daemon started recently, or retention is short)',
    );

  for (const g of shared) {
    const first = g.incidents[0]!;
    findings.push({
      kind: 'shared_start',
      severity: 'warn',
      check: first.check,
      time: iso(first.start!),
      text:
        `${g.incidents.map((x) => x.check).join(', ')} began within ${roughDuration(g.spreadMs)} of ` +
        `each other (one sampling interval is ${roughDuration(g.intervalMs)}` +
        `), ${g.incidents.length === 2 ? 'neither' : 'none'}` +
        ` under way before: possibly one cause; ${first.check} first`,
      figures: Object.fromEntries([
        ...g.incidents.map((x) => [x.check, iso(x.start!)] as [string, string]),
        ['spreadSeconds', g.spreadMs / 1000],
        ['intervalSeconds', g.intervalMs / 1000],
      ]),
    });
  }

  // Levels crossed whose `for:` hold is still running: not a problem yet, about to be one.
  for (const c of input.checks) {
    if (c.status !== 'pass' || !c.pending || (focus !== undefined && c.name !== focus)) continue;
    const since = Date.parse(c.pending.since);
    findings.push({
      kind: 'pending',
      severity: 'info',
      check: c.name,
      time: c.pending.since,
      text:
        `${c.name} is above its ${c.pending.status} level since ${sinceText(since, now)}` +
        `, ${roughDuration(now - since)}` +
        ` of its ${c.pending.forSeconds}s hold: ${formatValue(c.observedValue, c.observedUnit)}`,
      figures: {
        pendingStatus: c.pending.status,
        since: c.pending.since,
        forSeconds: c.pending.forSeconds,
        observedValue: c.observedValue,
      },
    });
  }

  let shortDisks = 0;
  for (const [name, s] of Object.entries(series)) {
    if (!name.startsWith('disk.utilization:')) continue;
    const mount = name.slice('disk.utilization:'.length);
    const fail = input.checks.find((c) => c.name === `disk:${mount}`)?.threshold?.fail ?? 0.95;
    const eta = diskEta(mount, s, fail);
    if ('why' in eta) {
      if (eta.why === 'short') shortDisks++;
      continue;
    }
    findings.push({
      kind: 'disk_full_eta',
      severity: eta.hoursToFull <= 24 ? 'fail' : eta.hoursToFull <= 7 * 24 ? 'warn' : 'info',
      check: `disk:${mount}`,
      time: iso(now + eta.hoursToFull * 3_600_000),
      text:
        `${mount} fills in about ${roughDuration(eta.hoursToFull * 3_600_000)} at ` +
        `the current rate: ${formatValue(eta.utilization, 'ratio')}` +
        ` used, +${(eta.trendPerHour * 100).toFixed(2)} pp/h over ${roughDuration(eta.spanMs)} of ` +
        `samples; fail level ${formatValue(fail, 'ratio')} ` +
        (eta.hoursToFail > 0 ? `in about ${roughDuration(eta.hoursToFail * 3_600_000)}` : 'already reached'),
      figures: {
        mountpoint: mount,
        utilization: round(eta.utilization),
        trendPerHour: round(eta.trendPerHour, 8),
        samples: eta.samples,
        spanSeconds: Math.round(eta.spanMs / 1000),
        hoursToFull: round(eta.hoursToFull, 2),
        hoursToFailThreshold: round(eta.hoursToFail, 2),
        failThreshold: fail,
      },
    });
  }
  if (shortDisks)
    missing.push(
      `no disk-full ETA: less than ${roughDuration(MIN_TREND_SPAN_MS)} ` +
        `of samples for ${plural(shortDisks, 'filesystem')}`,
    );

  if (!incidents.length && !findings.some((f) => f.kind === 'pending')) {
    findings.push({
      kind: 'all_clear',
      severity: 'info',
      ...(focus ? { check: focus } : {}),
      text: focus
        ? `${focus} had no problem in the last ${roughDuration(windowMs)}`
        : `no check failed or warned in the last ${roughDuration(windowMs)}`,
      figures: { checks: input.checks.length, windowSeconds: windowMs / 1000 },
    });
  }
  for (const m of missing) findings.push({ kind: 'missing_evidence', severity: 'info', text: m, figures: {} });

  return {
    time: iso(now),
    windowSeconds: windowMs / 1000,
    status: input.status,
    headline: headlineOf(input, incidents),
    incidents: [...incidents]
      .sort((a, b) => (a.start ?? a.end ?? 0) - (b.start ?? b.end ?? 0))
      .map((i) => views.get(i)!),
    findings,
  };
}

/** Agrees with health_check: the same overall word and counts; then what the window adds. */
function headlineOf(input: AnalysisInput, incidents: IncidentSpan[]): string {
  const overall = `${word(input.status)} (${input.status})`;
  const finished = incidents.filter((i) => i.end !== undefined);
  const window = roughDuration(input.windowMs);
  const past = finished.length ? `; ${plural(finished.length, 'incident')} ended in the last ${window}` : '';
  if (input.check !== undefined) {
    const c: CheckState | undefined = input.checks.find((x) => x.name === input.check);
    const now = c ? word(c.status) : 'unknown';
    const last = finished[finished.length - 1];
    const detail =
      last && last.start !== undefined
        ? `: ${word(last.status)} ${clockTime(last.start, input.now)}–${clockTime(last.end!, input.now)}` +
          ` (${roughDuration(last.end! - last.start)})`
        : '';
    return `${input.check} is ${now} now (${input.hostname} is ${overall})${past}${detail}`;
  }
  const n = countStatuses(input.checks);
  const nowPart =
    n.fail || n.warn
      ? `${[n.fail && `${n.fail} failed`, n.warn && `${n.warn} warning`].filter(Boolean).join(', ')} now`
      : 'nothing failing or warning now';
  return `${input.hostname} is ${overall}: ${nowPart}${past}`;
}
