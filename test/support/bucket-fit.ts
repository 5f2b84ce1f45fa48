const MIN = 60_000;

/**
 * The samples as a fit from aggregate buckets sees them (src/store/rings.ts): each closed bucket's samples at the
 * bucket's mean time and mean value, the newest (open) bucket's as they are. Buckets are 1-minute ones while the
 * 1-minute tier (24 h + 1 minute) holds them, and the 15-minute bucket they were handed over to after that (the
 * newest such one, still filling, holds them per minute).
 */
export function asBuckets(all: [number, number][], samples: [number, number][]): [number, number][] {
  const minute = (ts: number) => Math.floor(ts / MIN);
  const quarter = (ts: number) => Math.floor(ts / (15 * MIN));
  const newest = minute(all.at(-1)![0]);
  const left = all.filter(([ts]) => minute(ts) <= newest - 1441);
  const filling = left.length ? quarter(left.at(-1)![0]) : null;
  const key = (ts: number) =>
    minute(ts) > newest - 1441 || quarter(ts) === filling ? `m${minute(ts)}` : `q${quarter(ts)}`;
  const groups = new Map<string, [number, number, number]>();
  for (const [ts, v] of samples) {
    const g = groups.get(key(ts)) ?? [0, 0, 0];
    groups.set(key(ts), [g[0] + ts, g[1] + v, g[2] + 1]);
  }
  return samples.map(([ts, v]) => {
    if (minute(ts) === newest) return [ts, v];
    const [st, sv, n] = groups.get(key(ts))!;
    return [st / n, sv / n];
  });
}
