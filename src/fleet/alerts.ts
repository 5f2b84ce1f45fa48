/**
 * What an alerting rule's expression means, read without a PromQL parser: the comparison at its top level
 * (`lhs > 0.85`), the threshold when the right side is a number, and the `and`/`unless` conditions beside it.
 */
export interface RuleCondition {
  /** The expression whose value is compared (evaluated alone for "current value per instance"). */
  lhs: string;
  op: '>' | '<' | '>=' | '<=' | '==' | '!=' | null;
  /** The right-hand side as written. */
  rhs: string | null;
  /** The right-hand side as a number, when it is constant arithmetic (`14 * 86400`). */
  threshold: number | null;
  /** Further clauses joined by and/or/unless at the top level, as written. */
  conditions: string[];
}

const OPS = ['>=', '<=', '==', '!=', '>', '<'] as const;

/**
 * Top-level scan: outside (), {}, [] and string literals. Calls `at(i)` for each top-level index; stop by returning
 * true.
 */
function scanTop(s: string, at: (i: number) => boolean): void {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') depth--;
    else if (depth === 0 && at(i)) return;
  }
}

/** Splits at top-level `and`, `or`, `unless` (their `on (...)`/`ignoring (...)` modifiers stay on the right). */
function splitClauses(expr: string): string[] {
  const cuts: number[] = [];
  scanTop(expr, (i) => {
    if (i > 0 && /[\s)]/.test(expr[i - 1]!) && /^(and|or|unless)[\s(]/i.test(expr.slice(i))) cuts.push(i);
    return false;
  });
  return [0, ...cuts].map((c, k) => expr.slice(c, cuts[k] ?? expr.length).trim()).filter(Boolean);
}

/** `((x > 1))` → `x > 1`: outer parentheses that wrap the whole expression. */
function stripParens(s: string): string {
  let t = s.trim();
  for (;;) {
    if (!(t.startsWith('(') && t.endsWith(')'))) return t;
    let outside = false;
    scanTop(t, () => (outside = true));
    if (outside) return t;
    t = t.slice(1, -1).trim();
  }
}

/** Constant arithmetic (`14 * 86400`, `0.9`, `-1`); null for anything else. */
export function constantValue(text: string): number | null {
  const s = stripParens(text.replace(/\s+/g, ' ').trim());
  if (!/^[-+*/().\d\se]+$/i.test(s)) return null;
  const tokens = s.match(/\d+(?:\.\d+)?(?:e[-+]?\d+)?|[-+*/()]/gi) ?? [];
  let p = 0;
  const expr = (): number => {
    let v = term();
    while (tokens[p] === '+' || tokens[p] === '-') v = tokens[p++] === '+' ? v + term() : v - term();
    return v;
  };
  const term = (): number => {
    let v = factor();
    while (tokens[p] === '*' || tokens[p] === '/') v = tokens[p++] === '*' ? v * factor() : v / factor();
    return v;
  };
  const factor = (): number => {
    const t = tokens[p++];
    if (t === '-') return -factor();
    if (t === '+') return factor();
    if (t === '(') {
      const v = expr();
      p++;
      return v;
    }
    const n = Number(t);
    if (!Number.isFinite(n)) throw new Error('not constant');
    return n;
  };
  try {
    const v = expr();
    return p === tokens.length && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

export function parseRuleCondition(expr: string): RuleCondition {
  const [first = '', ...rest] = splitClauses(expr.trim());
  const main = stripParens(first);
  let found: { i: number; op: (typeof OPS)[number] } | undefined;
  scanTop(main, (i) => {
    // `=~` and `!~` are matchers (inside braces anyway); `==` must not be read as two `=`.
    const op = OPS.find((o) => main.startsWith(o, i));
    if (!op) return false;
    found = { i, op };
    return true;
  });
  if (!found) return { lhs: main, op: null, rhs: null, threshold: null, conditions: rest };
  const rhs = main
    .slice(found.i + found.op.length)
    .replace(/^\s*bool\s+/, '')
    .trim();
  const lhs = main.slice(0, found.i).trim();
  const n = constantValue(rhs);
  // `3 < x` reads as `x > 3`.
  const lhsN = constantValue(lhs);
  if (n === null && lhsN !== null) {
    const flip = { '>': '<', '<': '>', '>=': '<=', '<=': '>=', '==': '==', '!=': '!=' } as const;
    return { lhs: rhs, op: flip[found.op], rhs: lhs, threshold: lhsN, conditions: rest };
  }
  return { lhs, op: found.op, rhs, threshold: n, conditions: rest };
}

/** One stretch of an alert's life on one label set, read off the ALERTS series. */
export interface AlertEpisode {
  labels: Record<string, string>;
  pendingAt: number | null;
  firingAt: number | null;
  /** When it stopped (null while still active at the window's end). */
  endedAt: number | null;
}

/**
 * Episodes from `ALERTS{alertname=…}` range samples (one series per label set and alertstate). Times are
 * those of the first sample seen in a state, so exact to within the query step.
 */
export function alertEpisodes(
  series: { metric: Record<string, string>; values: [number, string][] }[],
  stepMs: number,
  endMs: number,
): AlertEpisode[] {
  const groups = new Map<string, { labels: Record<string, string>; states: Map<number, 'pending' | 'firing'> }>();
  for (const s of series) {
    const { alertstate, __name__: _n, ...labels } = s.metric;
    const k = JSON.stringify(Object.entries(labels).sort());
    const g = groups.get(k) ?? { labels, states: new Map() };
    for (const [t] of s.values) {
      const ms = Math.round(t * 1000);
      // firing wins a step where both are present (the switch happened inside it).
      if (alertstate === 'firing' || !g.states.has(ms))
        g.states.set(ms, alertstate === 'firing' ? 'firing' : 'pending');
    }
    groups.set(k, g);
  }
  const out: AlertEpisode[] = [];
  for (const { labels, states } of groups.values()) {
    const times = [...states.keys()].sort((a, b) => a - b);
    let cur: AlertEpisode | undefined;
    let prevT = -Infinity;
    for (const t of times) {
      if (cur && t - prevT > stepMs * 1.5) {
        cur.endedAt = prevT + stepMs;
        out.push(cur);
        cur = undefined;
      }
      const st = states.get(t)!;
      cur ??= { labels, pendingAt: st === 'pending' ? t : null, firingAt: null, endedAt: null };
      if (st === 'firing' && cur.firingAt === null) cur.firingAt = t;
      prevT = t;
    }
    if (cur) {
      if (prevT + stepMs * 1.5 < endMs) cur.endedAt = prevT + stepMs;
      out.push(cur);
    }
  }
  return out.sort((a, b) => (b.firingAt ?? b.pendingAt ?? 0) - (a.firingAt ?? a.pendingAt ?? 0));
}

/** Checks of the daemon that an alert is about, from the labels of its series and the metrics it reads. */
export function relatedChecks(expr: string, labels: Record<string, string>): string[] {
  const out = new Set<string>();
  if (labels.check) out.add(labels.check);
  if (/system_cpu/.test(expr)) out.add('cpu');
  if (/system_memory/.test(expr)) out.add('memory');
  if (/system_filesystem/.test(expr) && labels.system_filesystem_mountpoint)
    out.add(`disk:${labels.system_filesystem_mountpoint}`);
  if (/mcp_tool|mcp_server_operation/.test(expr)) out.add('tool_errors');
  return [...out];
}
