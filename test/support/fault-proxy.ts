import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy of the test suite's own, placed between a check and a real server so tests can break the
 * network path without touching the shared PostgreSQL or Redis. The mode applies to new connections and to
 * the ones already open (pools and persistent clients keep theirs), the way a real partition would.
 *
 * - pass: bytes flow both ways.
 * - refuse: the listener is closed and open connections are destroyed, so connects get ECONNREFUSED.
 * - blackhole: connections are accepted and kept, nothing is ever forwarded either way.
 * - delay(ms): every chunk is held `ms` before it is forwarded, in order.
 * - reset: the client's request reaches the server, and as the answer comes back the client socket is
 *   reset (RST via resetAndDestroy), so a query dies mid-flight.
 */
export type FaultMode = { kind: 'pass' } | { kind: 'refuse' } | { kind: 'blackhole' } | { kind: 'delay'; ms: number } | { kind: 'reset' };

interface Pair {
  client: Socket;
  /** None for a connection accepted while black-holing: it never reaches the server at all. */
  upstream: Socket | undefined;
  /** Earliest time the next chunk in each direction may go, so delayed chunks keep their order. */
  nextUp: number;
  nextDown: number;
}

export class FaultProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  private mode: FaultMode = { kind: 'pass' };
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Connections accepted since start. */
  accepted = 0;
  /** Most connections open at once since start. */
  peak = 0;
  /** Client sockets reset by the `reset` mode. */
  resets = 0;

  private constructor(
    readonly target: { host: string; port: number },
    public port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy(target, 0);
    await proxy.listen();
    return proxy;
  }

  get host(): string {
    return '127.0.0.1';
  }

  /** Connections open right now. */
  get open(): number {
    return this.pairs.size;
  }

  get current(): FaultMode {
    return this.mode;
  }

  pass(): Promise<void> {
    return this.setMode({ kind: 'pass' });
  }
  refuse(): Promise<void> {
    return this.setMode({ kind: 'refuse' });
  }
  blackhole(): Promise<void> {
    return this.setMode({ kind: 'blackhole' });
  }
  delay(ms: number): Promise<void> {
    return this.setMode({ kind: 'delay', ms });
  }
  reset(): Promise<void> {
    return this.setMode({ kind: 'reset' });
  }
  /** Back to pass-through, listening again on the same port if it was refusing. */
  restore(): Promise<void> {
    return this.pass();
  }

  async setMode(mode: FaultMode): Promise<void> {
    this.mode = mode;
    if (mode.kind === 'refuse') {
      for (const p of this.pairs) this.drop(p);
      await this.unlisten();
    } else if (!this.server) await this.listen();
  }

  /** Closes the listener and every connection; the proxy cannot be used afterwards. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const p of this.pairs) this.drop(p);
    await this.unlisten();
  }

  private listen(): Promise<void> {
    const server = createServer({ noDelay: true }, (client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // Port 0 on first start; the same port again after `refuse`, so the check's address stays valid.
      server.listen({ host: this.host, port: this.port }, () => {
        server.off('error', reject);
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private unlisten(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    const upstream = this.mode.kind === 'blackhole' ? undefined : connect({ host: this.target.host, port: this.target.port, noDelay: true });
    const pair: Pair = { client, upstream, nextUp: 0, nextDown: 0 };
    this.pairs.add(pair);
    this.peak = Math.max(this.peak, this.pairs.size);
    // Forwarding is done by hand rather than with pipe() so a mode change reaches open connections too.
    client.on('data', (chunk) => this.forward(pair, 'up', chunk));
    upstream?.on('data', (chunk) => this.forward(pair, 'down', chunk));
    const end = () => this.drop(pair);
    client.on('error', end);
    client.on('close', end);
    upstream?.on('error', end);
    upstream?.on('close', end);
  }

  private forward(pair: Pair, dir: 'up' | 'down', chunk: Buffer): void {
    const to = dir === 'up' ? pair.upstream : pair.client;
    const mode = this.mode;
    if (!to) return;
    switch (mode.kind) {
      case 'pass':
        // A chunk that arrives behind delayed ones must not overtake them.
        if ((dir === 'up' ? pair.nextUp : pair.nextDown) > Date.now()) return this.later(pair, dir, chunk, 0);
        to.write(chunk);
        return;
      case 'blackhole':
      case 'refuse':
        return;
      case 'delay':
        return this.later(pair, dir, chunk, mode.ms);
      case 'reset':
        if (dir === 'up') {
          to.write(chunk);
          return;
        }
        this.resets++;
        this.pairs.delete(pair);
        pair.client.resetAndDestroy();
        pair.upstream?.destroy();
        return;
    }
  }

  private later(pair: Pair, dir: 'up' | 'down', chunk: Buffer, ms: number): void {
    const key = dir === 'up' ? 'nextUp' : 'nextDown';
    const at = Math.max(Date.now() + ms, pair[key]);
    pair[key] = at;
    const t = setTimeout(() => {
      this.timers.delete(t);
      const to = dir === 'up' ? pair.upstream : pair.client;
      if (this.mode.kind === 'blackhole' || this.mode.kind === 'refuse' || !to || to.destroyed) return;
      to.write(chunk);
    }, at - Date.now());
    this.timers.add(t);
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
