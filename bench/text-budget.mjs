// Sizes of what a model reads: the tools/list payload, and health_check / diagnose text with 50 checks
// (46 TCP dependencies, 6 of them refused, plus the host checks), default and verbose.
// Run after `npm run build`: node bench/text-budget.mjs
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { freePort, table } from './lib.mjs';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const up = createServer((s) => s.destroy());
await new Promise((r) => up.listen(0, '127.0.0.1', r));
const upPort = up.address().port;
const downPort = await freePort();

const checks = Array.from({ length: 46 }, (_, i) => {
  const down = i % 9 === 0;
  return (
    `  - { name: svc-${String(i).padStart(2, '0')}, kind: tcp, host: 127.0.0.1, port: ${down ? downPort : upPort}` +
    `, every: 500ms, timeout: 300ms, failureThreshold: 1 }`
  );
});
const dir = mkdtempSync(join(tmpdir(), 'vitals-bench-'));
const config = join(dir, 'vitals.yaml');
writeFileSync(config, `host: { interval: 1s }\nchecks:\n${checks.join('\n')}\n`);

const client = new Client({ name: 'bench', version: '0' });
await client.connect(
  new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', '--stdio', '--config', config],
    env: { ...process.env, VITALS_LOG_LEVEL: 'silent' },
    stderr: 'ignore',
  }),
);
await sleep(3000);

const list = await client.listTools();
const bytes = (v) => Buffer.byteLength(JSON.stringify(v));
const rows = [['tools/list result (JSON bytes)', bytes(list)]];
for (const t of list.tools) rows.push([`  ${t.name}`, bytes(t)]);
table('tools/list payload', rows);

const text = async (name, args) => (await client.callTool({ name, arguments: args })).content[0]?.text ?? '';
const health = await text('health_check', {});
const all = (await client.callTool({ name: 'health_check', arguments: {} })).structuredContent.checks;
table(`text for the model (${all.length} checks, ${all.filter((c) => c.status === 'fail').length} failing)`, [
  ['health_check (chars)', health.length, 'budget 1,500'],
  ['health_check verbose', (await text('health_check', { verbose: true })).length],
  ['diagnose 15m (chars)', (await text('diagnose', { window: '15m' })).length, 'budget 2,000'],
  ['diagnose 15m verbose', (await text('diagnose', { window: '15m', verbose: true })).length],
  ['check_dependencies', (await text('check_dependencies', {})).length],
  ['query_history cpu 1h', (await text('query_history', { series: 'cpu.utilization', window: '1h' })).length],
]);
console.log(`\nhealth_check text:\n${health}\n\ndiagnose text:\n${await text('diagnose', { window: '15m' })}`);
await client.close();
up.close();
