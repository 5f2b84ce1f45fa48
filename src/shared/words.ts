import { DURATION_UNITS } from './duration.js';

/** Small wording helpers for text meant for a model or a person: plurals, rounded durations, clock times. */

/** "1 point", "2 points"; `many` for irregular plurals. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A duration rounded to its two largest units: "400ms", "45s", "3m", "3m20s", "1h12m", "2d3h". */
export function roughDuration(ms: number): string {
  if (ms > 0 && ms < 999.5) return `${Math.round(ms)}ms`;
  let rest = Math.max(0, Math.round(ms / 1000));
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of DURATION_UNITS) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    } else if (parts.length) break;
  }
  return parts.join('');
}

/** "14:02:10" (UTC) for a time within a day of `now`, else "2026-11-28 14:02". */
export function clockTime(t: number, now: number): string {
  const iso = new Date(t).toISOString();
  return Math.abs(now - t) < 86_400_000 ? iso.slice(11, 19) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** "14:02:10, 3m ago" — where a time sits, and how long ago that is. */
export function sinceText(t: number, now: number): string {
  return `${clockTime(t, now)}, ${roughDuration(now - t)} ago`;
}
