import type { ToolStats } from './schema.js';

export interface ToolCall {
  tool: string;
  durationMs: number;
  /** The tool itself failed. */
  error: boolean;
  /** The caller's mistake (bad arguments, unknown name, missing scope): counted, never an error of ours. */
  clientError?: boolean;
}

interface Entry {
  at: number;
  durationMs: number;
  error: boolean;
}

/** Exact p-quantile by nearest rank of a sorted array. */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Counts MCP tool calls: totals since start, and a sliding window (default 5 min) for the error rate and
 * latency quantiles. The window is capped in entries so a flood of calls cannot grow memory without bound.
 */
export class ToolCallStats {
  private calls = 0;
  private errors = 0;
  private clientErrors = 0;
  private readonly byTool = new Map<string, { calls: number; errors: number; clientErrors: number }>();
  private window: Entry[] = [];
  private head = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  record(call: ToolCall): void {
    this.calls++;
    if (call.error) this.errors++;
    if (call.clientError) this.clientErrors++;
    const t = this.byTool.get(call.tool) ?? { calls: 0, errors: 0, clientErrors: 0 };
    t.calls++;
    if (call.error) t.errors++;
    if (call.clientError) t.clientErrors++;
    this.byTool.set(call.tool, t);
    this.window.push({ at: this.now(), durationMs: call.durationMs, error: call.error });
    if (this.window.length - this.head > this.maxEntries) this.head++;
    this.prune();
  }

  private prune(): void {
    const cutoff = this.now() - this.windowMs;
    while (this.head < this.window.length && this.window[this.head]!.at < cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.window.length) {
      this.window = this.window.slice(this.head);
      this.head = 0;
    }
  }

  stats(): ToolStats {
    this.prune();
    const live = this.window.slice(this.head);
    const errorsInWindow = live.reduce((n, e) => n + (e.error ? 1 : 0), 0);
    const durations = live.map((e) => e.durationMs / 1000).sort((a, b) => a - b);
    return {
      calls: this.calls,
      errors: this.errors,
      clientErrors: this.clientErrors,
      windowSeconds: this.windowMs / 1000,
      callsInWindow: live.length,
      errorsInWindow,
      errorRate: live.length ? errorsInWindow / live.length : null,
      latencySeconds: { p50: quantile(durations, 0.5), p95: quantile(durations, 0.95) },
      byTool: Object.fromEntries([...this.byTool].map(([k, v]) => [k, { ...v }])),
    };
  }
}
