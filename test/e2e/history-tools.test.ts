import { existsSync, readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/cli.js';
import { CLI } from '../support/paths.js';
import { pollUntil } from '../support/wait.js';

type Json = Record<string, any>;

describe('history tools, resources and prompts (memory store, spawned daemon)', () => {
  let client: Client;
  const call = async (name: string, args: Json = {}) => {
    const r = await client.callTool({ name, arguments: args });
    return {
      isError: Boolean(r.isError),
      text: (r.content as { text: string }[])[0]!.text,
      data: r.structuredContent as Json,
    };
  };

  beforeAll(async () => {
    // This test makes failing calls on purpose: keep the tool error-rate check out of the event log.
    const config = writeConfig('host:\n  interval: 250ms\n  thresholds:\n    toolErrorRate: { minCalls: 100000 }\n');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'serve', '--stdio', '--config', config],
      env: { ...process.env, VITALS_LOG_LEVEL: 'warn' } as Record<string, string>,
      stderr: 'pipe',
    });
    client = new Client({ name: 'e2e-history', version: '1.0.0' });
    await client.connect(transport);
    // A few host samples into the history.
    await pollUntil(
      () => call('query_history', { series: 'cpu.utilization', window: '15m' }),
      (r) => !r.isError && r.data.summary?.count >= 6,
      10_000,
    );
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists the history tools, read-only, with input and output schemas', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['query_history', 'list_events', 'top_processes', 'diagnose']) {
      const t = byName.get(name);
      expect(t, name).toBeDefined();
      expect(t!.annotations?.readOnlyHint).toBe(true);
      expect(t!.outputSchema?.type).toBe('object');
      expect(t!.description!.length).toBeGreaterThan(80);
    }
  });

  it('query_history summarises a metric from raw samples with points, and a check with its status', async () => {
    const r = await call('query_history', { series: 'cpu.utilization', window: '15m' });
    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ series: 'cpu.utilization', unit: 'ratio', resolution: 'raw', stepAdjusted: false });
    const s = r.data.summary;
    expect(s.count).toBeGreaterThanOrEqual(6);
    expect(s.min).toBeLessThanOrEqual(s.avg);
    expect(s.avg).toBeLessThanOrEqual(s.max);
    expect(s.p95).toBeLessThanOrEqual(s.max);
    expect(s.p95Estimated).toBe(false);
    expect(r.data.points.length).toBeGreaterThan(0);
    expect(r.data.points.length).toBeLessThanOrEqual(120);
    expect(r.data.points.reduce((a: number, p: Json) => a + p.count, 0)).toBe(s.count);
    expect(r.text).toMatch(/cpu\.utilization over 15m/);

    const c = await call('query_history', { check: 'memory', window: '15m', step: '1m' });
    expect(c.isError).toBe(false);
    expect(c.data.series).toBe('check.value:memory');
    expect(c.data.stepSeconds).toBe(60);
    expect(c.data.check).toMatchObject({ name: 'memory', transitions: [] });

    const week = await call('query_history', { series: 'disk.utilization:/', window: '7d', step: '1s' });
    expect(week.isError).toBe(false);
    expect(week.data.stepAdjusted).toBe(true);
    expect(week.data.points.length).toBeLessThanOrEqual(120);
  });

  it('query_history on an unknown series answers with the series that exist', async () => {
    const r = await call('query_history', { series: 'cpu.utilisation' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/unknown series "cpu\.utilisation"/);
    expect(r.text).toContain('cpu.utilization');
    expect(r.text).toContain('disk.utilization:/');
    const none = await call('query_history', { window: '1h' });
    expect(none.isError).toBe(true);
    expect(none.text).toMatch(/exactly one of/);
    const badWindow = await call('query_history', { series: 'cpu.utilization', window: 'yesterday' });
    expect(badWindow.isError).toBe(true);
    expect(badWindow.text).toMatch(/invalid window/);
  });

  it('list_events answers an empty window with a sentence and typed data', async () => {
    const r = await call('list_events', { window: '1h' });
    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ count: 0, truncated: false, events: [] });
  });

  it('top_processes reads /proc: rows agree with /proc/[pid]/stat and are ranked', async () => {
    const r = await call('top_processes', { by: 'memory', limit: 5 });
    expect(r.isError).toBe(false);
    const rows = r.data.processes as Json[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(5);
    expect(r.data.totalProcesses).toBeGreaterThanOrEqual(rows.length);
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.rssBytes).toBeGreaterThanOrEqual(rows[i]!.rssBytes);
    const memTotal = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
    for (const p of rows) {
      expect(p.cpuPercent).toBeGreaterThanOrEqual(0);
      // The share of the machine's memory, from /proc/meminfo's MemTotal (kB meaning KiB).
      expect(p.memoryRatio).toBeCloseTo(p.rssBytes / memTotal, 9);
      if (!existsSync(`/proc/${p.pid}/stat`)) continue;
      const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      expect(p.name).toBe(stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
    }
    const cpu = await call('top_processes', { by: 'cpu', limit: 3 });
    const c = cpu.data.processes as Json[];
    for (let i = 1; i < c.length; i++) expect(c[i - 1]!.cpuPercent).toBeGreaterThanOrEqual(c[i]!.cpuPercent);
  });

  it('diagnose reports findings with figures and the snapshot status', async () => {
    const health = await call('health_check');
    const r = await call('diagnose', { window: '15m' });
    expect(r.isError).toBe(false);
    expect(r.data.status).toBe(health.data.status);
    expect(Array.isArray(r.data.findings)).toBe(true);
    for (const f of r.data.findings as Json[]) {
      expect(typeof f.text).toBe('string');
      expect(typeof f.figures).toBe('object');
    }
    // The headline agrees with health_check: the same overall word.
    const word = { pass: 'ok', warn: 'warning', fail: 'failed' }[health.data.status as string];
    expect(r.text.split('\n')[0]).toMatch(new RegExp(`is ${word} \\(${health.data.status}\\)`));
    // A daemon minutes old has no 10-minute trend: no disk-full ETA.
    expect((r.data.findings as Json[]).filter((f) => f.kind === 'disk_full_eta')).toEqual([]);
    expect(r.text.length).toBeLessThanOrEqual(2000);
  });

  it('serves vitals://health, vitals://events and check resources by template, encoded names included', async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(
      expect.arrayContaining([
        'vitals://health',
        'vitals://events',
        'vitals://checks/cpu',
        'vitals://checks/memory',
        'vitals://checks/disk%3A%2F',
      ]),
    );
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('vitals://checks/{name}');
    const health = JSON.parse(
      ((await client.readResource({ uri: 'vitals://health' })).contents[0] as { text: string }).text,
    );
    expect(health).toMatchObject({ status: expect.stringMatching(/pass|warn|fail/) });
    expect(health.checks.cpu).toBeDefined();
    const disk = JSON.parse(
      ((await client.readResource({ uri: 'vitals://checks/disk%3A%2F' })).contents[0] as { text: string }).text,
    );
    expect(disk).toMatchObject({ name: 'disk:/', kind: 'disk' });
    const events = JSON.parse(
      ((await client.readResource({ uri: 'vitals://events' })).contents[0] as { text: string }).text,
    );
    expect(events.events).toEqual([]);
    await expect(client.readResource({ uri: 'vitals://checks/nope' })).rejects.toThrow(/unknown check "nope"/);
  });

  it('offers the diagnose-incident and capacity-report prompts, which name the tools', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['diagnose-incident', 'capacity-report']));
    const d = await client.getPrompt({ name: 'diagnose-incident', arguments: { check: 'orders-db', window: '1h' } });
    const text = (d.messages[0]!.content as { text: string }).text;
    for (const tool of ['diagnose', 'list_events', 'query_history', 'top_processes']) expect(text).toContain(tool);
    expect(text).toContain('orders-db');
    const c = await client.getPrompt({ name: 'capacity-report', arguments: {} });
    expect((c.messages[0]!.content as { text: string }).text).toMatch(/query_history[\s\S]*7d/);
  });
});
