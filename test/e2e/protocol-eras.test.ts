import { createServer, type Server } from 'node:net';
import { Client as V2Client, StreamableHTTPClientTransport as V2Http } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Stdio } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Stdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as V1Http } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/cli.js';
import { recordInbound, resourceUpdates } from '../support/inbound.js';
import { startDaemon, type Daemon } from '../support/http-daemon.js';
import { CLI } from '../support/paths.js';
import { waitUntil } from '../support/wait.js';

type Json = Record<string, any>;
type Era = '2026-07-28' | '2025-11-25' | '2025-06-18';
const CHECK_URI = 'vitals://checks/svc';

/** What every client below is asked to do, whichever SDK line and protocol version it speaks. */
interface Subject {
  label: string;
  era: Era;
  client: V1Client | V2Client;
  /** Every message the server sent, raw (before a client schema strips fields it does not know). */
  inbound: Json[];
  close(): Promise<void>;
}

/** A v1 client offering an older version than its newest: the initialize request says so. */
function pinInitialize<T extends Transport>(transport: T, version: Era): T {
  const send = transport.send.bind(transport);
  transport.send = (m, o) => {
    const msg = m as Json;
    return send(
      msg.method === 'initialize' ? ({ ...msg, params: { ...msg.params, protocolVersion: version } } as never) : m,
      o,
    );
  };
  return transport;
}

async function v1(label: string, era: Era, transport: Transport): Promise<Subject> {
  const client = new V1Client({ name: `e2e-${label}`, version: '1.0.0' });
  const inbound: Json[] = [];
  // The client sets its handler before it starts the transport: record from the initialize answer on.
  const start = transport.start.bind(transport);
  transport.start = () => {
    recordInbound(transport, inbound);
    return start();
  };
  await client.connect(pinInitialize(transport, era));
  return { label, era, client, inbound, close: () => client.close() };
}

async function v2(label: string, transport: V2Stdio | V2Http): Promise<Subject> {
  const client = new V2Client({ name: `e2e-${label}`, version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(transport);
  const inbound: Json[] = [];
  recordInbound(transport, inbound);
  return { label, era: '2026-07-28', client, inbound, close: () => client.close() };
}

const stdioParams = (config: string) => ({
  command: process.execPath,
  args: [CLI, 'serve', '--stdio', '--config', config],
  env: { ...process.env, VITALS_LOG_LEVEL: 'warn' } as Record<string, string>,
  stderr: 'ignore' as const,
});

const structured = async (s: Subject, name: string, args: Json = {}): Promise<Json> => {
  const r = (await s.client.callTool({ name, arguments: args })) as Json;
  if (r.isError) throw new Error(`${s.label} ${name}: ${r.content?.[0]?.text}`);
  return r.structuredContent as Json;
};
const read = async (s: Subject, uri: string): Promise<Json> =>
  JSON.parse(((await s.client.readResource({ uri })) as Json).contents[0].text);
const svcStatus = async (s: Subject) => (await read(s, CHECK_URI)).status as string;

/** `notifications/resources/updated` for `uri` received since `from`. */
const updates = (s: Subject, uri: string, from = 0): Json[] => resourceUpdates(s.inbound.slice(from), uri);

describe('both protocol eras on both transports, against one TCP listener of the test', () => {
  let listener: Server;
  let port: number;
  let daemon: Daemon;
  let configPath: string;
  const subjects: Subject[] = [];

  const openListener = () =>
    new Promise<void>((resolve, reject) => {
      listener = createServer((sock) => sock.destroy());
      listener.once('error', reject);
      listener.listen(port, '127.0.0.1', () => resolve());
    });

  beforeAll(async () => {
    listener = createServer((sock) => sock.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
    port = (listener.address() as { port: number }).port;
    const yaml = `
host:
  interval: 1s
checks:
  - { name: svc, kind: tcp, host: 127.0.0.1, port: ${port}, every: 300ms, timeout: 1s, failureThreshold: 1,
      successThreshold: 1 }
`;
    const config = writeConfig(yaml);
    configPath = config;
    daemon = await startDaemon({ config: yaml });
    const mcp = new URL(`${daemon.url}/mcp`);
    subjects.push(
      ...(await Promise.all([
        v2('v2-stdio', new V2Stdio(stdioParams(config))),
        v1('v1-stdio-2025-11-25', '2025-11-25', new V1Stdio(stdioParams(config))),
        v1('v1-stdio-2025-06-18', '2025-06-18', new V1Stdio(stdioParams(config))),
        v2('v2-http', new V2Http(mcp)),
        v1('v1-http-2025-11-25', '2025-11-25', new V1Http(mcp)),
        v1('v1-http-2025-06-18', '2025-06-18', new V1Http(mcp)),
      ])),
    );
    for (const s of subjects)
      await waitUntil(async () => (await svcStatus(s)) === 'pass', `${s.label}: svc to pass`, 15_000);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(subjects.map((s) => s.close()));
    await daemon?.stop();
    listener?.close();
  });

  it('each client gets the version it asked for', () => {
    for (const s of subjects) {
      // A v1 client's version is what the server answered its initialize with (it offered s.era).
      const version =
        s.client instanceof V2Client
          ? s.client.getNegotiatedProtocolVersion()
          : s.inbound.find((m) => m.result?.protocolVersion)?.result.protocolVersion;
      expect(version, s.label).toBe(s.era);
    }
  });

  it('every tool, resource, prompt and completion answers the same in both eras', async () => {
    const calls: [string, Json][] = [
      ['health_check', {}],
      ['get_metrics', {}],
      ['check_dependencies', { names: ['svc'] }],
      ['list_events', { window: '5m' }],
      ['query_history', { series: 'cpu.utilization', window: '5m' }],
      ['diagnose', { window: '5m' }],
      ['top_processes', { limit: 3 }],
      ['show_status', {}],
    ];
    for (const s of subjects) {
      const { tools } = await s.client.listTools();
      expect(tools.map((t) => t.name).sort(), s.label).toEqual(calls.map(([n]) => n).sort());
      for (const [name, args] of calls) {
        const data = await structured(s, name, args);
        expect(data, `${s.label} ${name}`).toBeTypeOf('object');
      }
      expect((await structured(s, 'check_dependencies', { names: ['svc'] })).checks[0]).toMatchObject({
        name: 'svc',
        status: 'pass',
      });
      // Malformed arguments are the client's mistake: an isError result on a known tool, never an outage.
      const bad = (await s.client.callTool({ name: 'health_check', arguments: { only_problems: 'yes' } })) as Json;
      expect(bad.isError, s.label).toBe(true);

      const { resources } = await s.client.listResources();
      expect(
        resources.map((r) => r.uri),
        s.label,
      ).toEqual(expect.arrayContaining(['vitals://health', 'vitals://events', CHECK_URI]));
      expect(await read(s, 'vitals://health'), s.label).toMatchObject({
        status: expect.stringMatching(/pass|warn|fail/),
      });
      expect(await read(s, CHECK_URI), s.label).toMatchObject({ name: 'svc', status: 'pass' });
      expect(await read(s, 'vitals://events'), s.label).toMatchObject({ events: expect.any(Array) });
      const { resourceTemplates } = await s.client.listResourceTemplates();
      expect(
        resourceTemplates.map((t) => t.uriTemplate),
        s.label,
      ).toContain('vitals://checks/{name}');

      const { prompts } = await s.client.listPrompts();
      expect(prompts.map((p) => p.name).sort(), s.label).toEqual(['capacity-report', 'diagnose-incident']);
      const prompt = await s.client.getPrompt({ name: 'diagnose-incident', arguments: { check: 'svc' } });
      expect(JSON.stringify(prompt.messages), s.label).toContain('svc');
      const done = await s.client.complete({
        ref: { type: 'ref/resource', uri: 'vitals://checks/{name}' },
        argument: { name: 'name', value: 's' },
      });
      expect(done.completion.values, s.label).toContain('svc');
    }
  });

  it('an unknown resource: -32602 with its URI on 2026-07-28, -32002 on the 2025 versions', async () => {
    for (const s of subjects) {
      const err = await s.client.readResource({ uri: 'vitals://checks/nope' }).then(
        () => undefined,
        (e: { code?: number }) => e,
      );
      expect(err?.code, s.label).toBe(s.era === '2026-07-28' ? -32602 : -32002);
    }
  });

  it('2026-07-28 results carry cache hints that mean something; 2025 answers carry none', async () => {
    for (const s of subjects) {
      const check = (await s.client.readResource({ uri: CHECK_URI })) as Json;
      const health = (await s.client.readResource({ uri: 'vitals://health' })) as Json;
      const tools = (await s.client.listTools()) as Json;
      if (s.era !== '2026-07-28') {
        for (const r of [check, health, tools]) expect(r.ttlMs, s.label).toBeUndefined();
        continue;
      }
      // svc runs every 300 ms, the host every 1 s: a read is true until the next of those.
      expect(check.ttlMs, s.label).toBeGreaterThanOrEqual(0);
      expect(check.ttlMs, s.label).toBeLessThanOrEqual(300);
      expect(health.ttlMs, s.label).toBeLessThanOrEqual(300);
      expect(tools.ttlMs, s.label).toBe(300_000);
      // Open loopback HTTP: anyone who can reach it may read it; stdio answers one client.
      const scope = s.label.includes('http') ? 'public' : 'private';
      for (const r of [check, health, tools]) expect(r.cacheScope, s.label).toBe(scope);
    }
  });

  it(
    'HTTP: Mcp-Method and Mcp-Name must agree with a 2026-07-28 body; other methods on /mcp get a ' + 'JSON-RPC 405',
    async () => {
      const meta = {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      };
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'health_check', arguments: {}, _meta: meta },
      });
      const base = {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
      };
      const post = (headers: Record<string, string>) =>
        fetch(`${daemon.url}/mcp`, { method: 'POST', headers: { ...base, ...headers }, body });
      const ok = await post({ 'mcp-method': 'tools/call', 'mcp-name': 'health_check' });
      expect(ok.status).toBe(200);
      expect(JSON.parse(await ok.text())).toMatchObject({
        id: 1,
        result: { structuredContent: { status: expect.any(String) } },
      });
      const wrong: Record<string, string>[] = [
        { 'mcp-method': 'tools/list', 'mcp-name': 'health_check' },
        { 'mcp-method': 'tools/call', 'mcp-name': 'get_metrics' },
        {},
      ];
      for (const headers of wrong) {
        const r = await post(headers);
        expect(r.status, JSON.stringify(headers)).toBe(400);
        expect(JSON.parse(await r.text()), JSON.stringify(headers)).toMatchObject({ error: { code: -32020 } });
      }
      for (const method of ['PUT', 'PATCH']) {
        const r = await fetch(`${daemon.url}/mcp`, { method });
        expect(r.status).toBe(405);
        expect(JSON.parse(await r.text())).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
      }
    },
  );

  it(
    '2026-07-28: a client announcing MCP Apps gets ' + 'show_status linked to the status view, and can read it',
    async () => {
      const caps = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } };
      for (const transport of [new V2Stdio(stdioParams(configPath)), new V2Http(new URL(`${daemon.url}/mcp`))]) {
        const client = new V2Client(
          { name: 'e2e-apps', version: '1.0.0' },
          { capabilities: caps as never, versionNegotiation: { mode: 'auto' } },
        );
        await client.connect(transport);
        try {
          const tool = (await client.listTools()).tools.find((t) => t.name === 'show_status');
          expect(tool?._meta).toMatchObject({ ui: { resourceUri: 'ui://vitals/status' } });
          const read = (await client.readResource({ uri: 'ui://vitals/status' })) as Json;
          expect(read.contents[0]).toMatchObject({
            mimeType: 'text/html;profile=mcp-app',
            text: expect.stringContaining('<html'),
          });
        } finally {
          await client.close();
        }
      }
      // Without the extension, no link.
      const plain = subjects.find((x) => x.label === 'v2-http')!;
      expect((await plain.client.listTools()).tools.find((t) => t.name === 'show_status')?._meta?.ui).toBeUndefined();
    },
  );

  it('listen acknowledges the resource subscriptions it will deliver', async () => {
    for (const s of subjects.filter((x) => x.era === '2026-07-28')) {
      const sub = await (s.client as V2Client).listen({ resourceSubscriptions: [CHECK_URI, 'vitals://health'] });
      expect(sub.honoredFilter.resourceSubscriptions, s.label).toEqual([CHECK_URI, 'vitals://health']);
      await sub.close();
    }
  });

  it('a real status change reaches every listener and subscriber; 2026 notifications say what changed', async () => {
    const subs = await Promise.all(
      subjects.map(async (s) => {
        if (s.client instanceof V2Client)
          return s.client.listen({ resourceSubscriptions: [CHECK_URI, 'vitals://health', 'vitals://events'] });
        for (const uri of [CHECK_URI, 'vitals://health', 'vitals://events']) await s.client.subscribeResource({ uri });
        return undefined;
      }),
    );
    const marks = subjects.map((s) => s.inbound.length);
    await new Promise<void>((r) => listener.close(() => r()));

    for (const [i, s] of subjects.entries()) {
      await waitUntil(
        () => updates(s, CHECK_URI, marks[i]).length > 0 && updates(s, 'vitals://events', marks[i]).length > 0,
        `${s.label}: the update for svc`,
        15_000,
      );
      await waitUntil(
        () => updates(s, 'vitals://health', marks[i]).length > 0,
        `${s.label}: the update for health`,
        15_000,
      );
      expect(await svcStatus(s), s.label).toBe('fail');
      const [update] = updates(s, CHECK_URI, marks[i]);
      if (s.era === '2026-07-28') {
        expect(update!.params, s.label).toMatchObject({
          uri: CHECK_URI,
          status: 'fail',
          check: 'svc',
          event: {
            id: expect.stringMatching(/^[0-9a-f]{16}$/),
            from: 'pass',
            to: 'fail',
            headline: expect.stringContaining('svc'),
          },
        });
        expect(updates(s, 'vitals://health', marks[i])[0]!.params, s.label).toMatchObject({
          summary: expect.any(String),
          status: expect.stringMatching(/warn|fail/),
        });
      } else {
        // The 2025 notification is the URI alone; the client re-reads.
        expect(
          Object.keys(update!.params).filter((k) => k !== '_meta'),
          s.label,
        ).toEqual(['uri']);
      }
    }

    await openListener();
    for (const [i, s] of subjects.entries())
      await waitUntil(() => updates(s, CHECK_URI, marks[i]).length >= 2, `${s.label}: the recovery update`, 15_000);
    await Promise.all(subs.map((sub) => sub?.close()));
  });
});
