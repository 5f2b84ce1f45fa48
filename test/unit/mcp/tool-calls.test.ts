import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../../../src/config/load.js';
import { ERROR_TYPE_META, observeTransport, toolCallHandler, type ToolCallInfo } from '../../../src/mcp/middleware.js';
import type { McpMessageOutcome } from '../../../src/shared/mcp-observer.js';
import { perSnapshot } from '../../../src/mcp/tools/snapshot-common.js';
import { defineTool, READ_ONLY, ToolError } from '../../../src/mcp/tools/types.js';
import { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import { createLogger } from '../../../src/shared/logger.js';
import { errorType } from '../../../src/telemetry/mcp.js';

const echo = defineTool({
  name: 'echo',
  title: 'Echo',
  description: 'test tool',
  input: z.object({
    n: z.number().int().optional(),
    fail: z.enum(['unknown_series', 'forbidden', 'store', 'throw']).optional(),
  }),
  output: z.object({ n: z.number() }),
  annotations: READ_ONLY,
  async run(args) {
    if (args.fail === 'unknown_series') throw new ToolError('unknown series "x"', 'UNKNOWN_SERIES');
    if (args.fail === 'forbidden') throw new ToolError('refresh needs the vitals:refresh scope', 'FORBIDDEN');
    if (args.fail === 'store') throw new ToolError('PostgreSQL is unreachable', 'STORE_UNAVAILABLE');
    if (args.fail === 'throw') throw new Error('boom');
    return { text: `n=${args.n ?? 0}`, data: { n: args.n ?? 0 } };
  },
});

function setup() {
  const monitor = new HealthMonitor(parseConfig({}, {}), createLogger({ level: 'silent' }));
  const seen: ToolCallInfo[] = [];
  const handle = toolCallHandler([echo], monitor, () => ({ monitor }), [(i) => seen.push(i)]);
  const call = (name: string, args?: Record<string, unknown>) =>
    handle({ params: { name, ...(args ? { arguments: args } : {}) } }, {});
  return { monitor, seen, call };
}

describe('tools/call results', () => {
  it('are one object for one kept answer (stdio answers those from their kept text), fresh otherwise', async () => {
    const monitor = new HealthMonitor(parseConfig({}, {}), createLogger({ level: 'silent' }));
    const kept = perSnapshot((_s: object, n: number) => ({ text: `n=${n}`, data: { n } }), String);
    const snapshot = {};
    const tool = defineTool({
      ...echo,
      async run(args) {
        return args.n === undefined ? { text: 'fresh', data: { n: 0 } } : kept(snapshot, args.n);
      },
    });
    const handle = toolCallHandler([tool], monitor, () => ({ monitor }), []);
    const call = (args: Record<string, unknown>) => handle({ params: { name: 'echo', arguments: args } }, {});
    expect(await call({ n: 1 })).toBe(await call({ n: 1 }));
    expect(await call({ n: 1 })).toEqual({ content: [{ type: 'text', text: 'n=1' }], structuredContent: { n: 1 } });
    expect(await call({ n: 2 })).not.toBe(await call({ n: 1 }));
    expect(await call({})).not.toBe(await call({}));
    expect(await call({})).toEqual(await call({}));
  });
});

describe('tools/call classification', () => {
  it("counts every call; the caller's mistakes are client errors, never the daemon's", async () => {
    const { monitor, seen, call } = setup();
    const results = [
      await call('echo', { n: 1 }),
      await call('nope'),
      await call('echo', { n: 'one' }),
      await call('echo', { fail: 'unknown_series' }),
      await call('echo', { fail: 'forbidden' }),
      await call('echo', { fail: 'store' }),
      await call('echo', { fail: 'throw' }),
    ];
    expect(results.map((r) => (r.isError ? r._meta?.[ERROR_TYPE_META] : 'ok'))).toEqual([
      'ok',
      'client.unknown_tool',
      'client.invalid_argument',
      'client.unknown_name',
      'client.forbidden',
      'store_unavailable',
      'internal',
    ]);
    expect((results[1]!.content[0] as { text: string }).text).toBe('unknown tool "nope"; tools: echo');
    expect((results[2]!.content[0] as { text: string }).text).toMatch(/^invalid arguments for echo: n: /);
    expect(seen.map((s) => [s.tool, s.errorType ?? null, s.clientError ?? false])).toEqual([
      ['echo', null, false],
      ['_OTHER', 'client.unknown_tool', true],
      ['echo', 'client.invalid_argument', true],
      ['echo', 'client.unknown_name', true],
      ['echo', 'client.forbidden', true],
      ['echo', 'store_unavailable', false],
      ['echo', 'internal', false],
    ]);
    // Tool stats are folded into the snapshot at most once a second; the counters are read straight.
    const stats = (
      monitor as unknown as { tools: { stats(): { calls: number; errors: number; clientErrors: number } } }
    ).tools.stats();
    expect(stats).toMatchObject({ calls: 7, errors: 2, clientErrors: 4 });
  });

  it('eleven unknown series names do not make tool_errors warn', async () => {
    const { monitor, call } = setup();
    for (let i = 0; i < 11; i++) await call('echo', { fail: 'unknown_series' });
    await monitor.runOnce();
    expect(monitor.snapshot.checks.tool_errors).toMatchObject({ status: 'pass' });
    await monitor.stop();
  });

  it('the transport observer labels a failed call with the type the server gave it', () => {
    const outcomes: McpMessageOutcome[] = [];
    const transport = {
      start: async () => {},
      close: async () => {},
      send: async () => {},
      onmessage: undefined,
    } as never as Parameters<typeof observeTransport>[0];
    observeTransport(
      transport,
      { message: () => ({ run: (fn) => fn(), end: (o) => void outcomes.push(o) }) },
      new Set(['echo']),
      'pipe',
    );
    transport.onmessage = () => {};
    transport.onmessage!({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } });
    void transport.send({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [], isError: true, _meta: { [ERROR_TYPE_META]: 'client.invalid_argument' } },
    });
    expect(outcomes).toEqual([{ toolError: true, toolErrorType: 'client.invalid_argument' }]);
    expect(errorType(outcomes[0]!)).toBe('client.invalid_argument');
    expect(errorType({ toolError: true })).toBe('tool_error');
  });
});

describe('tools/list', () => {
  it(
    'is built from the definitions, without ±2^53 integer bounds or output field descriptions, and keeps input ' +
      'descriptions',
    async () => {
      const { toolList } = await import('../../../src/mcp/tool-list.js');
      const { tools } = await import('../../../src/mcp/tools/index.js');
      const list = toolList(tools);
      expect(list.map((t) => t.name)).toEqual(tools.map((t) => t.name));
      const text = JSON.stringify(list);
      expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
      for (const t of list) {
        expect(JSON.stringify(t.outputSchema)).not.toMatch(/"description":"/);
        expect(t.inputSchema.type).toBe('object');
      }
      const diagnose = list.find((t) => t.name === 'diagnose')!;
      expect(
        (diagnose.inputSchema.properties as Record<string, { description?: string; default?: unknown }>).window,
      ).toMatchObject({ default: '6h', description: expect.any(String) });
      // A defaulted argument is optional to the caller.
      expect(diagnose.inputSchema.required ?? []).not.toContain('window');
    },
  );
});

describe('tool arguments a model fills in freely are bounded', () => {
  it(
    'query_history and diagnose refuse a series, check or step past its length (the text would go into PromQL ' +
      'and error messages)',
    async () => {
      const { queryHistoryTool } = await import('../../../src/mcp/tools/query-history.js');
      const { diagnoseTool } = await import('../../../src/mcp/tools/diagnose.js');
      const long = 'x'.repeat(1025);
      for (const args of [{ series: long }, { check: long }, { series: 'cpu.utilization', step: '1'.repeat(33) }])
        expect(queryHistoryTool.input.safeParse(args).success).toBe(false);
      expect(diagnoseTool.input.safeParse({ check: long }).success).toBe(false);
      expect(
        queryHistoryTool.input.safeParse({ series: `disk.utilization:/${'d'.repeat(500)}`, step: '5m' }).success,
      ).toBe(true);
    },
  );
});
