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
export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'refuse' }
  | { kind: 'blackhole' }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' };

/** What is still to be done in one direction, in order: a chunk to write, or the FIN after the chunks. */
interface Step {
  at: number;
  run: () => void;
}

interface Pair {
  client: Socket;
  /** None for a connection accepted while black-holing: it never reaches the server at all. */
  upstream: Socket | undefined;
  /** One ordered queue per direction, so a delayed chunk is never overtaken by a later one or by the FIN. */
  up: Step[];
  down: Step[];
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
    const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.accept(client));
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
    const upstream =
      this.mode.kind === 'blackhole'
        ? undefined
        : connect({ host: this.target.host, port: this.target.port, noDelay: true, allowHalfOpen: true });
    const pair: Pair = { client, upstream, up: [], down: [] };
    this.pairs.add(pair);
    this.peak = Math.max(this.peak, this.pairs.size);
    // Forwarding is done by hand rather than with pipe() so a mode change reaches open connections too.
    client.on('data', (chunk) => this.forward(pair, 'up', chunk));
    upstream?.on('data', (chunk) => this.forward(pair, 'down', chunk));
    // A FIN is passed on only after the chunks still held in that direction, so a delayed answer is not
    // cut off by the server closing right after it. A client that hangs up on a black hole is simply gone.
    client.on('end', () =>
      this.mode.kind === 'blackhole' || !pair.upstream
        ? this.drop(pair)
        : this.enqueue(pair, 'up', 0, () => pair.upstream?.end()),
    );
    upstream?.on('end', () => this.enqueue(pair, 'down', 0, () => client.end()));
    client.on('error', () => this.drop(pair));
    upstream?.on('error', () => this.drop(pair));
    client.on('close', () => this.drop(pair));
  }

  private forward(pair: Pair, dir: 'up' | 'down', chunk: Buffer): void {
    const to = dir === 'up' ? pair.upstream : pair.client;
    const mode = this.mode;
    if (!to) return;
    switch (mode.kind) {
      case 'pass':
        this.enqueue(pair, dir, 0, () => to.write(chunk));
        return;
      case 'blackhole':
      case 'refuse':
        return;
      case 'delay':
        this.enqueue(pair, dir, mode.ms, () => to.write(chunk));
        return;
      case 'reset':
        if (dir === 'up') {
          this.enqueue(pair, dir, 0, () => to.write(chunk));
          return;
        }
        this.resets++;
        this.pairs.delete(pair);
        pair.client.resetAndDestroy();
        pair.upstream?.destroy();
        return;
    }
  }

  /** Queues `run` to happen `ms` from now, after everything already queued in that direction. */
  private enqueue(pair: Pair, dir: 'up' | 'down', ms: number, run: () => void): void {
    const queue = pair[dir];
    queue.push({ at: Date.now() + ms, run });
    if (queue.length === 1) this.pump(pair, dir);
  }

  private pump(pair: Pair, dir: 'up' | 'down'): void {
    const queue = pair[dir];
    while (queue.length) {
      const head = queue[0]!;
      const wait = head.at - Date.now();
      if (wait > 0) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.pump(pair, dir);
        }, wait);
        this.timers.add(t);
        return;
      }
      queue.shift();
      // A black hole that opened while chunks were held swallows them too.
      if (this.mode.kind !== 'blackhole' && this.mode.kind !== 'refuse' && this.pairs.has(pair)) head.run();
    }
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
