import type { CheckState } from '../../monitor/schema.js';
import { formatValue } from '../../shared/format.js';

/** Text helpers shared by the tools that list checks within a character budget. */

/** Lines that fit `budget` characters, then one line saying how many were left out. */
export function fitLines(lines: string[], budget: number, more: (n: number) => string): string[] {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const cost = lines[i]!.length + 1;
    const tail = i < lines.length - 1 ? more(lines.length - i).length + 1 : 0;
    if (used + cost + tail > budget) {
      out.push(more(lines.length - i));
      return out;
    }
    out.push(lines[i]!);
    used += cost;
  }
  return out;
}

/** "cpu 12.4%, memory 4.1%, …" within `budget` characters. */
export function okList(checks: CheckState[], budget: number): string {
  const items = checks.map((c) => `${c.name} ${formatValue(c.observedValue, c.observedUnit)}`);
  let text = '';
  for (let i = 0; i < items.length; i++) {
    const next = `${text ? `${text}, ` : ''}${items[i]}`;
    const rest = items.length - i - 1;
    if (next.length + (rest ? 12 : 0) > budget) return `${text}, … ${items.length - i} more`;
    text = next;
  }
  return text;
}
