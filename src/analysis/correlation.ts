import type { IncidentSpan } from './incidents.js';

export interface SharedStart {
  incidents: IncidentSpan[];
  /** ms between the first and the last start. */
  spreadMs: number;
  /** The sampling interval the starts were compared against (the largest among the checks). */
  intervalMs: number;
}

/**
 * Problems that may share a cause: their starts (first crossing / first failed run, never the time a hold
 * matured) lie within one sampling interval of each other. A start that is unknown is no evidence, and a
 * problem already under way before the other began (pending on its hold, failing on its streak) shows as
 * an earlier start, so it never joins. Even then it is a coincidence in time, said as such, not a cause.
 */
export function sharedStarts(incidents: IncidentSpan[], intervalOf: (check: string) => number): SharedStart[] {
  const known = incidents.filter((i) => i.start !== undefined).sort((a, b) => a.start! - b.start!);
  const out: SharedStart[] = [];
  for (let i = 0; i < known.length; ) {
    const group = [known[i]!];
    let j = i + 1;
    while (j < known.length) {
      const next = known[j]!;
      const interval = Math.max(...group.map((g) => intervalOf(g.check)), intervalOf(next.check));
      // Every member within one interval of the first: a chain of near starts is not one moment.
      if (next.start! - group[0]!.start! > interval || next.check === group[0]!.check) break;
      group.push(next);
      j++;
    }
    if (group.length > 1) {
      out.push({
        incidents: group,
        spreadMs: group[group.length - 1]!.start! - group[0]!.start!,
        intervalMs: Math.max(...group.map((g) => intervalOf(g.check))),
      });
    }
    i = j;
  }
  return out;
}
