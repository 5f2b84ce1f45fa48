import type { Analysis, Finding } from './types.js';

/** Characters of diagnose text by default: the headline and the findings that matter most. */
export const DIAGNOSE_TEXT_BUDGET = 2000;

const TAG: Record<Finding['severity'], string> = { fail: 'FAIL', warn: 'WARN', info: 'info' };
/** Evidence lines sit under the incident they explain. */
const EVIDENCE = new Set<Finding['kind']>(['preceded_by', 'resource_change', 'processes']);

/**
 * The analysis as short text for a model: the headline, then one line per finding (evidence indented under
 * its incident), no figures repeated (the structured content has them). Past `budget` characters the rest
 * is counted, not shown, unless `verbose`.
 */
export function renderAnalysis(a: Analysis, options: { budget?: number; verbose?: boolean } = {}): string {
  const budget = options.verbose ? Infinity : (options.budget ?? DIAGNOSE_TEXT_BUDGET);
  const lines = a.findings.map((f) => (EVIDENCE.has(f.kind) ? `  - ${f.text}` : `[${TAG[f.severity]}] ${f.text}`));
  const out = [a.headline];
  let used = a.headline.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const rest = lines.length - i;
    const note = `… ${rest} more finding${rest === 1 ? '' : 's'} (verbose: true shows all)`;
    if (used + 1 + line.length + (rest > 1 ? note.length + 1 : 0) > budget) {
      out.push(note);
      break;
    }
    out.push(line);
    used += 1 + line.length;
  }
  return out.join('\n');
}
