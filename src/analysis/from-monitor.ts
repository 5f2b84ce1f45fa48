import type { HealthEvent, Snapshot } from '../monitor/schema.js';
import { analyze } from './analyze.js';
import type { Analysis } from './types.js';

/** What the analysis reads from a running monitor: its snapshot, its own event log, its intervals and clock. */
export interface MonitorView {
  readonly snapshot: Snapshot;
  events(options?: { sinceMs?: number; limit?: number }): HealthEvent[];
  readonly intervals: Record<string, number>;
  readonly config: { host: { interval: number } };
  now(): number;
}

/**
 * The analysis from the monitor alone (events it keeps in memory, no history reads): cheap enough for every
 * prompt and status-page update, and the same incidents diagnose reports.
 */
export function analyzeMonitor(monitor: MonitorView, options: { windowMs?: number; check?: string } = {}): Analysis {
  const s = monitor.snapshot;
  const now = monitor.now();
  const windowMs = options.windowMs ?? 24 * 3_600_000;
  return analyze({
    now,
    windowMs,
    hostname: s.hostname,
    status: s.status,
    checks: Object.values(s.checks),
    events: monitor.events({ sinceMs: now - windowMs - 3_600_000 }),
    intervals: monitor.intervals,
    defaultIntervalMs: monitor.config.host.interval,
    series: {},
    processes: [],
    ...(options.check !== undefined && s.checks[options.check] ? { check: options.check } : {}),
  });
}
