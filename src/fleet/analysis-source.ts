import type { AnalysisSource } from '../analysis/index.js';
import type { Fleet } from './index.js';
import { remoteSnapshot } from './remote-snapshot.js';

/** How often another host's statuses are assumed sampled: Prometheus's default scrape interval. */
const REMOTE_INTERVAL_MS = 15_000;

/**
 * Another host for the analysis: its checks rebuilt from `vitals_check_status`, its transitions since `sinceMs`
 * read once (refined to 1 s) and served to the analysis from memory, its series through range queries. Its
 * checks' intervals are not exported: Prometheus's sampling step stands in for them.
 */
export async function remoteAnalysisSource(
  fleet: Fleet,
  instance: string,
  sinceMs: number,
  now: number,
): Promise<AnalysisSource> {
  const remote = fleet.history(instance);
  const events = await remote.events({ sinceMs, untilMs: now });
  const snapshot = await remoteSnapshot(fleet.requirePrometheus(), instance, events, sinceMs, now);
  return {
    snapshot,
    history: {
      query: (q) => remote.query(q),
      series: () => remote.series(),
      events: async (q) =>
        events.filter(
          (e) =>
            (q?.sinceMs === undefined || Date.parse(e.time) >= q.sinceMs) &&
            (q?.check === undefined || e.check === q.check),
        ),
      processesNear: () => undefined,
    },
    intervals: {},
    hostIntervalMs: REMOTE_INTERVAL_MS,
  };
}
