import type { Analysis, Finding } from './types.js';

/** Characters of diagnose text by default: the headline and the findings that matter most. */
export const DIAGNOSE_TEXT_BUDGET = 2000;

const TAG: Record<Finding['severity'], string> = { fail: 'FAIL', warn: 'WARN', info: 'info' };
/** Evidence lines sit under the incident they explain. */
const EVIDENCE = new Set<Finding['kind']>(['preceded_by', 'resource_change', 'processes']);

/** What is kept when the text must be cut: what is wrong now first, evidence and notes last. */
function priority(f: Finding): number {
  if (f.kind === 'incident') return f.severity === 'fail' ? 0 : f.severity === 'warn' ? 1 : 2;
  if (f.kind === 'all_clear') return 0;
  if (f.kind === 'shared_start' || (f.kind === 'disk_full_eta' && f.severity !== 'info')) return 1;
  if (f.kind === 'pending') return 2;
  if (EVIDENCE.has(f.kind)) return 3;
  return 4;
}

/**
 * The analysis as short text for a model: the headline, then one line per finding (evidence indented under
 * its incident), no figures repeated (the structured content has them). Past `budget` characters the least
 * important lines are left out (evidence and notes before any incident) and counted, unless `verbose`.
 */
export function renderAnalysis(a: Analysis, options: { budget?: number; verbose?: boolean } = {}): string {
  const budget = options.verbose ? Infinity : (options.budget ?? DIAGNOSE_TEXT_BUDGET);
  const lines = a.findings.map((f) => (EVIDENCE.has(f.kind) ? `  - ${f.text}` : `[${TAG[f.severity]}] ${f.text}`));
  const note = (n: number) => `… ${n} more finding${n === 1 ? '' : 's'} (verbose: true shows all)`;
  const order = lines.map((_, i) => i).sort((x, y) => priority(a.findings[x]!) - priority(a.findings[y]!) || x - y);
  const keep = new Set<number>();
  let used = a.headline.length;
  for (const i of order) {
    const left = lines.length - keep.size - 1;
    const cost = 1 + lines[i]!.length + (left > 0 ? 1 + note(left).length : 0);
    if (used + cost > budget) break;
    keep.add(i);
    used += 1 + lines[i]!.length;
  }
  const out = [a.headline, ...lines.filter((_, i) => keep.has(i))];
  if (keep.size < lines.length) out.push(note(lines.length - keep.size));
  return out.join('\n');
}
