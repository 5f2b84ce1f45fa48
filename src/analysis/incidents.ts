import type { CheckState, HealthEvent } from '../monitor/schema.js';
import type { SeriesData } from './types.js';

/** An incident with times as numbers, for the rules; `toIncident` turns it into the schema's words. */
export interface IncidentSpan {
  check: string;
  status: 'warn' | 'fail';
  /** When the problem began; undefined when that was before the recorded events. */
  start: number | undefined;
  /** When the status turned (the first non-pass event), if recorded. */
  reportedAt: number | undefined;
  end: number | undefined;
  reason: string;
  /** The first check status before the incident: `unknown` for a check that never passed. */
  from: string;
}

const t = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
const isBad = (s: string): s is 'warn' | 'fail' => s === 'warn' || s === 'fail';

/**
 * Status events folded into incidents per check: one opens when a check leaves pass (or its first result
 * is bad), stays open through warn ↔ fail, and ends when it is back to pass. Starts and ends are when the
 * condition began (`startedAt`: first crossing, first failed or first good run), not when a hold matured.
 * A check that is bad now with no open incident in the events (they fell off the log) gets one from its
 * state's `problemSince`.
 */
export function buildIncidents(events: readonly HealthEvent[], checks: readonly CheckState[]): IncidentSpan[] {
  const byCheck = new Map<string, HealthEvent[]>();
  for (const e of events)
    if (e.type === 'status') (byCheck.get(e.check) ?? byCheck.set(e.check, []).get(e.check)!).push(e);
  const out: IncidentSpan[] = [];
  const open = new Map<string, IncidentSpan>();
  for (const [check, list] of byCheck) {
    list.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    let cur: IncidentSpan | undefined;
    for (const e of list) {
      const at = Date.parse(e.time);
      const began = t(e.startedAt) ?? at;
      if (isBad(e.to)) {
        if (!cur) {
          // A first event from warn/fail means the problem was already on before the events begin.
          const knownStart = !isBad(e.from);
          cur = {
            check,
            status: e.to,
            start: knownStart ? began : undefined,
            reportedAt: knownStart ? at : undefined,
            end: undefined,
            reason: e.reason,
            from: knownStart ? e.from : 'unknown',
          };
          out.push(cur);
        } else if (e.to === 'fail' && cur.status === 'warn') {
          cur.status = 'fail';
          cur.reason = e.reason;
        }
      } else if (cur) {
        cur.end = began;
        cur = undefined;
      } else if (isBad(e.from)) {
        // Only its end was recorded.
        out.push({
          check,
          status: e.from,
          start: undefined,
          reportedAt: undefined,
          end: began,
          reason: 'began before the recorded events',
          from: 'unknown',
        });
      }
    }
    if (cur) open.set(check, cur);
  }
  for (const c of checks) {
    if (!isBad(c.status)) {
      // Events say it is still on, the state says it is over (an event lost): close it at the state's change.
      const stale = open.get(c.name);
      if (stale && c.status === 'pass') stale.end = Date.parse(c.since);
      continue;
    }
    const cur = open.get(c.name);
    if (cur) {
      if (c.status === 'fail') cur.status = 'fail';
      if (c.output) cur.reason = c.output;
      continue;
    }
    const start = Date.parse(c.problemSince ?? c.since);
    out.push({
      check: c.name,
      status: c.status,
      start,
      reportedAt: Date.parse(c.since),
      end: undefined,
      reason: c.output || c.lastError || 'no detail',
      from: 'unknown',
    });
  }
  return out.sort((a, b) => (a.start ?? a.end ?? 0) - (b.start ?? b.end ?? 0));
}

/** Incidents that touch [from, now]: ongoing ones, and those that ended inside it. */
export function inWindow(incidents: IncidentSpan[], from: number): IncidentSpan[] {
  return incidents.filter((i) => i.end === undefined || i.end >= from);
}

/** The series that carries a check's value: a dependency's latency, else the host check's observed value. */
export function valueSeriesOf(check: string, series: Readonly<Record<string, SeriesData>>): SeriesData | undefined {
  return series[`check.latency:${check}`] ?? series[`check.value:${check}`];
}

/** Highest value of a series between two times; undefined when no point falls there. */
export function peakBetween(s: SeriesData | undefined, from: number, to: number): number | undefined {
  const stepMs = s?.stepMs ?? 0;
  let peak: number | undefined;
  for (const p of s?.points ?? [])
    if (p.time + stepMs >= from && p.time <= to && (peak === undefined || p.max > peak)) peak = p.max;
  return peak;
}
