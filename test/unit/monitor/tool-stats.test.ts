import { describe, expect, it } from 'vitest';
import { ToolCallStats, quantile } from '../../../src/monitor/tool-stats.js';

describe('ToolCallStats', () => {
  it('counts calls and errors, and the error rate over the window', () => {
    let now = 0;
    const s = new ToolCallStats(60_000, 1000, () => now);
    for (let i = 0; i < 10; i++) s.record({ tool: 'a', durationMs: i + 1, error: i < 2 });
    let st = s.stats();
    expect(st).toMatchObject({ calls: 10, errors: 2, callsInWindow: 10, errorsInWindow: 2, errorRate: 0.2 });
    expect(st.latencySeconds.p50).toBeCloseTo(0.005);
    expect(st.latencySeconds.p95).toBeCloseTo(0.01);
    now = 61_000;
    s.record({ tool: 'b', durationMs: 1, error: false });
    st = s.stats();
    expect(st).toMatchObject({ calls: 11, errors: 2, callsInWindow: 1, errorsInWindow: 0, errorRate: 0 });
    expect(st.byTool).toEqual({
      a: { calls: 10, errors: 2, clientErrors: 0 },
      b: { calls: 1, errors: 0, clientErrors: 0 },
    });
  });
  it("counts the caller's mistakes as calls, never as errors", () => {
    const s = new ToolCallStats(60_000, 1000, () => 0);
    for (let i = 0; i < 10; i++) s.record({ tool: 'query_history', durationMs: 1, error: false, clientError: i < 5 });
    const st = s.stats();
    expect(st).toMatchObject({ calls: 10, errors: 0, clientErrors: 5, errorsInWindow: 0, errorRate: 0 });
    expect(st.byTool.query_history).toEqual({ calls: 10, errors: 0, clientErrors: 5 });
  });
  it('bounds the window by entries', () => {
    const s = new ToolCallStats(60_000, 100, () => 0);
    for (let i = 0; i < 5000; i++) s.record({ tool: 'a', durationMs: 1, error: false });
    expect(s.stats().callsInWindow).toBe(100);
    expect(s.stats().calls).toBe(5000);
  });
  it('has no rate without calls', () => expect(new ToolCallStats(1000).stats().errorRate).toBeNull());
  it('quantile by nearest rank', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(4);
    expect(quantile([], 0.5)).toBeNull();
  });
});
