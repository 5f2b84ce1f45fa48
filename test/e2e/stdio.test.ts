import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../support/paths.js';
import { pollUntil, sleep } from '../support/wait.js';

function memTotalBytes(): number {
  const m = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(m![1]) * 1024;
}

describe('stdio MCP server (real client, spawned CLI)', () => {
  let client: Client;
  let stderr = '';

  beforeAll(async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'serve', '--stdio'],
      env: { ...process.env, VITALS_LOG_LEVEL: 'info' } as Record<string, string>,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d) => (stderr += d));
    client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists the three tools with schemas and read-only hints', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['health_check', 'get_metrics', 'check_dependencies']));
    for (const t of tools) {
      expect(t.description!.length).toBeGreaterThan(80);
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      expect(t.annotations?.readOnlyHint).toBe(true);
    }
  });

  it('health_check reports every host check with values and thresholds', async () => {
    const r = await client.callTool({ name: 'health_check', arguments: {} });
    expect(r.isError).toBeFalsy();
    const data = r.structuredContent as {
      status: string;
      checks: {
        name: string;
        status: string;
        observedValue: number | null;
        threshold?: { warn: number; fail: number };
      }[];
    };
    expect(['pass', 'warn', 'fail']).toContain(data.status);
    const byName = new Map(data.checks.map((c) => [c.name, c]));
    expect(byName.get('cpu')?.threshold).toEqual({ warn: 0.85, fail: 0.95, forSeconds: 60 });
    expect(byName.get('memory')?.observedValue).toBeGreaterThan(0);
    expect(byName.get('memory')?.observedValue).toBeLessThan(1);
    expect(byName.has('disk:/')).toBe(true);
    expect(byName.has('tool_errors')).toBe(true);
    expect((r.content as { text: string }[])[0]!.text).toMatch(/checks/);
  });

  it('get_metrics matches /proc', async () => {
    const r = await client.callTool({ name: 'get_metrics', arguments: {} });
    const d = r.structuredContent as any;
    expect(d.memory.totalBytes).toBe(memTotalBytes());
    expect(d.memory.usedBytes).toBe(d.memory.totalBytes - d.memory.availableBytes);
    expect(d.cpu.utilization).toBeGreaterThanOrEqual(0);
    expect(d.cpu.utilization).toBeLessThanOrEqual(1);
    expect(d.cpu.cores).toBe(
      readFileSync('/proc/stat', 'utf8')
        .split('\n')
        .filter((l) => /^cpu\d+ /.test(l)).length,
    );
    const sum = Object.values(d.cpu.modes as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
    expect(d.filesystems.find((f: any) => f.mountpoint === '/')).toBeDefined();
    expect(d.network.find((n: any) => n.interface === 'lo')).toBeDefined();
    expect(d.daemon.uptimeSeconds).toBeGreaterThan(0);
    expect(d.daemon.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(d.load.cores).toBe(d.cpu.cores);
  });

  it('get_metrics counts tool calls and errors in the daemon figures', async () => {
    await client.callTool({ name: 'check_dependencies', arguments: { names: ['nope'] } });
    // The snapshot folds tool stats in at most once a second.
    await sleep(1100);
    const r = await client.callTool({ name: 'get_metrics', arguments: { sections: ['daemon'] } });
    const d = r.structuredContent as any;
    expect(Object.keys(d)).toEqual(['time', 'hostname', 'daemon']);
    expect(d.daemon.tools.calls).toBeGreaterThanOrEqual(3);
    // An unknown check name is the caller's mistake: counted, never an error of the daemon's.
    expect(d.daemon.tools.clientErrors).toBeGreaterThanOrEqual(1);
    expect(d.daemon.tools.byTool.check_dependencies.clientErrors).toBeGreaterThanOrEqual(1);
    expect(d.daemon.tools.byTool.check_dependencies.errors).toBe(0);
    expect(d.daemon.tools.latencySeconds.p95).toBeGreaterThanOrEqual(d.daemon.tools.latencySeconds.p50);
  });

  it('check_dependencies is empty with no checks, and refresh works', async () => {
    const r = await client.callTool({ name: 'check_dependencies', arguments: { refresh: true } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ checks: [], status: 'pass', refreshed: true });
  });

  it('wrong argument types and unknown tools get errors, not a crash', async () => {
    const bad = await client.request(
      { method: 'tools/call', params: { name: 'get_metrics', arguments: { sections: 'cpu' } } },
      CallToolResultSchema,
    );
    expect(bad.isError).toBe(true);
    expect((bad.content[0] as { text: string }).text).toMatch(/Invalid arguments|sections/);
    const unknown = await client
      .request({ method: 'tools/call', params: { name: 'rm_rf', arguments: {} } }, CallToolResultSchema)
      .catch((e) => e);
    expect(String((unknown as any).content?.[0]?.text ?? unknown)).toMatch(/rm_rf/);
    // Still serving afterwards.
    const ok = await client.callTool({ name: 'health_check', arguments: { only_problems: true } });
    expect(ok.isError).toBeFalsy();
  });

  it('logs went to stderr as JSON', () => {
    const lines = stderr.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(stderr).toMatch(/mcp-vitals started/);
  });
});

describe('stdout carries only JSON-RPC', () => {
  it(
    'with VITALS_LOG_LEVEL=debug, every stdout line parses as JSON-RPC, and the daemon exits when stdin ' + 'closes',
    async () => {
      const child = spawn(process.execPath, [CLI, 'serve', '--stdio'], {
        env: { ...process.env, VITALS_LOG_LEVEL: 'debug' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
      send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'health_check', arguments: {} } });
      send({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'get_metrics', arguments: { sections: 42 } },
      });
      send({ jsonrpc: '2.0', id: 4, method: 'no/such/method' });
      await pollUntil(() => out.split('\n').filter(Boolean).length >= 4, Boolean, 10_000);
      child.stdin.write('{not json}\n');
      await sleep(200);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.stdin.end();
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 5000))]);
      expect(code).toBe(0);
      const lines = out.split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThanOrEqual(4);
      const msgs = lines.map((l) => JSON.parse(l));
      for (const m of msgs) expect(m.jsonrpc).toBe('2.0');
      expect(msgs.find((m) => m.id === 2).result.structuredContent.status).toMatch(/pass|warn|fail/);
      expect(msgs.find((m) => m.id === 3).result.isError).toBe(true);
      expect(msgs.find((m) => m.id === 4).error.code).toBe(-32601);
      expect(err).toMatch(/"level":"debug"/);
    },
  );
});
