import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../support/http-daemon.js';
import { recordInbound, resourceUpdates } from '../support/inbound.js';
import { sleep, waitUntil } from '../support/wait.js';

type Json = Record<string, any>;
const CHECK_URI = 'vitals://checks/svc';

async function listener(into: Json[], url: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  const client = new Client({ name: 'e2e-replicas', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(transport);
  recordInbound(transport as never, into);
  return client;
}

describe('two daemons sharing the real Redis: a listener on one hears what the other saw', () => {
  let tcp: Server;
  let watcher: Daemon;
  let quiet: Daemon;
  let isolated: Daemon;
  const heard: Json[] = [];
  const heardIsolated: Json[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    tcp = createServer((s) => s.destroy());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    const port = (tcp.address() as { port: number }).port;
    // A channel of this run's own: another worktree running the same test shares the Redis, not the channel.
    const channel = `mcp-vitals:test:${randomBytes(6).toString('hex')}`;
    const events = `http:\n  events:\n    redis: redis://127.0.0.1:6379\n    channel: ${channel}\n`;
    // Only `watcher` runs the check; `quiet` knows nothing of it; `isolated` has no Redis and must hear nothing.
    [watcher, quiet, isolated] = await Promise.all([
      startDaemon({
        config:
          `${events}checks:\n  - { name: svc, kind: tcp, host: 127.0.0.1, port: ${port}, every: 300ms, timeout: ` +
          `1s, failureThreshold: 1, successThreshold: 1 }\n`,
      }),
      startDaemon({ config: events }),
      startDaemon({ config: `checks: []\n` }),
    ]);
    const [a, b, w] = await Promise.all([
      listener(heard, quiet.url),
      listener(heardIsolated, isolated.url),
      listener([], watcher.url),
    ]);
    clients.push(a!, b!, w!);
    await waitUntil(
      async () =>
        JSON.parse(((await w!.readResource({ uri: CHECK_URI })).contents[0] as { text: string }).text).status ===
        'pass',
      'svc to pass on the watcher',
      15_000,
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([watcher?.stop(), quiet?.stop(), isolated?.stop()]);
    tcp?.close();
  });

  it('the transition the watcher saw reaches a listener connected to the other daemon, with what changed', async () => {
    const [sub, subIsolated] = await Promise.all(
      clients.slice(0, 2).map((c) => c.listen({ resourceSubscriptions: [CHECK_URI, 'vitals://events'] })),
    );
    await new Promise<void>((r) => tcp.close(() => r()));
    await waitUntil(() => resourceUpdates(heard, CHECK_URI).length > 0, 'the update on the other daemon', 15_000);
    expect(resourceUpdates(heard, CHECK_URI)[0]!.params).toMatchObject({
      uri: CHECK_URI,
      status: 'fail',
      check: 'svc',
      event: { from: 'pass', to: 'fail', headline: expect.stringContaining('svc') },
    });
    await waitUntil(() => resourceUpdates(heard, 'vitals://events').length > 0, 'the events update', 5000);
    // The daemon without the shared bus never hears of a check it does not run.
    expect(resourceUpdates(heardIsolated, CHECK_URI)).toEqual([]);
    // Once per transition, not once per replica or per failed run.
    await sleep(1500);
    expect(resourceUpdates(heard, CHECK_URI)).toHaveLength(1);
    await Promise.all([sub!.close(), subIsolated!.close()]);
  });
});
