import { PassThrough } from 'node:stream';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { DirectCalls } from '../../../src/mcp/direct-calls.js';
import { createMcpServer } from '../../../src/mcp/server.js';
import { BoundedStdioTransport } from '../../../src/mcp/stdio-transport.js';
import { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import { createLogger } from '../../../src/shared/logger.js';
import { HOST_OFF } from '../../support/host-off.js';

type Id = string | number;
const log = createLogger({ level: 'silent' });

/** One stdio connection served as the daemon serves it, with or without the direct answers; raw lines by id. */
function connection(monitor: HealthMonitor, withDirect: boolean) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const lines = new Map<Id, string>();
  const waiters = new Map<Id, () => void>();
  let buffered = '';
  stdout.on('data', (d) => {
    buffered += d;
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const { id, method } = JSON.parse(line);
      if (method !== undefined || id === undefined) continue;
      lines.set(id, line);
      waiters.get(id)?.();
    }
  });
  const transport = new BoundedStdioTransport({ maxLineBytes: 1 << 20, maxPending: 64, log, stdin, stdout });
  const direct = withDirect ? new DirectCalls() : undefined;
  const handle = serveStdio(
    ({ era }) =>
      createMcpServer({
        monitor,
        version: '0.0.0',
        era,
        live: 'session',
        ...(direct && era === 'legacy' ? { direct } : {}),
      }),
    { transport: direct ? direct.wrap(transport) : transport },
  );
  const send = (message: object) => stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  const request = (id: Id, method: string, params?: object) =>
    new Promise<string>((resolve) => {
      waiters.set(id, () => resolve(lines.get(id)!));
      send({ id, method, ...(params ? { params } : {}) });
    });
  return { direct, send, request, lines, close: () => handle.close() };
}

const INITIALIZE = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } };

/** Tool calls covering answers kept and not, errors of the caller, and requests the direct path leaves alone. */
const CALLS: [Id, object][] = [
  [2, { name: 'health_check', arguments: {} }],
  ['a', { name: 'health_check', arguments: {} }],
  [3, { name: 'health_check', arguments: {} }],
  ['with "quotes" \u00e9', { name: 'health_check' }],
  [4, { name: 'health_check', arguments: { only_problems: true } }],
  [5, { name: 'health_check', arguments: { only_problems: true } }],
  ['b', { name: 'no_such_tool' }],
  [6, { name: 'no_such_tool' }],
  [7, { name: 'health_check', arguments: { verbose: 'yes' } }],
  ['c', { name: 'health_check', arguments: { verbose: 'yes' } }],
  [8, { name: 'health_check', arguments: {}, _meta: { progressToken: 8 } }],
  [9, { name: 42 }],
  [10, { name: 'health_check', arguments: {} }],
  ['d', { name: 'health_check', arguments: {} }],
];

describe('stdio tools/call answered directly', () => {
  let closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.map((c) => c()));
    closers = [];
    vi.restoreAllMocks();
  });

  async function monitor() {
    // A fixed clock: tool-call figures never fold into the snapshot, so every answer comes from the same one.
    const m = new HealthMonitor(parseConfig({ host: HOST_OFF }, {}), log, { now: () => 1_767_355_200_000 });
    await m.runOnce();
    return m;
  }

  it('sends the bytes the SDK sends, for kept answers, errors, string and number ids', async () => {
    const m = await monitor();
    const sdk = connection(m, false);
    const direct = connection(m, true);
    closers.push(sdk.close, direct.close);
    const take = vi.spyOn(direct.direct!, 'take');
    for (const c of [sdk, direct]) {
      await c.request(1, 'initialize', INITIALIZE);
      c.send({ method: 'notifications/initialized' });
      for (const [id, params] of CALLS) await c.request(id, 'tools/call', params);
    }
    for (const [id] of CALLS) expect(direct.lines.get(id), String(id)).toBe(sdk.lines.get(id));
    expect(JSON.parse(direct.lines.get(3)!).result.structuredContent.status).toBeTypeOf('string');
    expect(JSON.parse(direct.lines.get(9)!).error.code).toBe(-32602);
    // Some calls never reached the SDK's handler: answered from the kept copy.
    expect(take.mock.calls.length).toBeLessThan(CALLS.length - 2);
  });

  it('answers nothing to a call the client cancelled, as the SDK does, and goes on answering', async () => {
    const m = await monitor();
    for (const withDirect of [false, true]) {
      const c = connection(m, withDirect);
      closers.push(c.close);
      await c.request(1, 'initialize', INITIALIZE);
      c.send({ method: 'notifications/initialized' });
      await c.request(2, 'tools/call', { name: 'health_check', arguments: {} });
      await c.request(3, 'tools/call', { name: 'health_check', arguments: {} });
      c.send({ id: 4, method: 'tools/call', params: { name: 'health_check', arguments: {} } });
      c.send({ method: 'notifications/cancelled', params: { requestId: 4 } });
      const next = await c.request(5, 'tools/call', { name: 'health_check', arguments: {} });
      await new Promise((r) => setTimeout(r, 50));
      expect(c.lines.has(4), `direct: ${withDirect}`).toBe(false);
      expect(next).toBe(c.lines.get(3)!.replace('"id":3}', '"id":5}'));
    }
  });
});
