import { setFlagsFromString } from 'node:v8';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Config } from './config/schema.js';
import type { HttpServer, RoutePlugin } from './http/server.js';
import { withFleetCheck } from './fleet/check.js';
import type { Fleet } from './fleet/index.js';
import type { AlertPoster } from './fleet/poster.js';
import { createMcpServer, observed, preloadTools } from './mcp/server.js';
import { SubscriptionBudget } from './mcp/resources/live.js';
import { BoundedStdioTransport } from './mcp/stdio-transport.js';
import { DirectCalls } from './mcp/direct-calls.js';
import { HealthMonitor } from './monitor/health-monitor.js';
import { ProcessSampler } from './probes/host/processes.js';
import { createHistory } from './store/index.js';
import { Recorder } from './store/recorder.js';
import type { History } from './store/types.js';
import { startTelemetry, type Telemetry } from './telemetry/index.js';
import { createLogger, type Logger } from './shared/logger.js';
import { optimizer } from './shared/optimizer.js';
import { settleHeapAfterStart } from './shared/heap-settle.js';
import { VERSION } from './version.js';

export interface AppOptions {
  config: Config;
  /** Serve MCP over stdin/stdout (the Claude Desktop entry). */
  stdio: boolean;
  /** Serve HTTP (health endpoints, and later /mcp and /metrics) on this address; config.http.listen when true. */
  http?: { listen?: string; insecure?: boolean };
  /** Also serve /metrics and the health routes on 127.0.0.1:<port> (a stdio daemon that is scraped). */
  metricsPort?: number;
  logLevel?: string;
  logger?: Logger;
}

/**
 * The composition root: builds the monitor and the servers from one Config and owns start/stop order.
 * Readers start after the monitor is constructed; the monitor stops after they do.
 */
export class App {
  readonly log: Logger;
  readonly monitor: HealthMonitor;
  /** Sampled history and events (memory or postgres); `history.stats()` has the dropped-sample count for telemetry. */
  history: History | undefined;
  /** Process table on demand (top_processes) and at each check's fall (diagnose). */
  readonly processes: ProcessSampler;
  private recorder: Recorder | undefined;
  /** Prometheus/Alertmanager sources of the fleet tools, when configured (loaded in start()). */
  fleet: Fleet | undefined;
  private poster: AlertPoster | undefined;
  /** What stop() closes after HTTP: the stdio connection, the event bus and its publisher. */
  private readonly closers: (() => Promise<void>)[] = [];
  private httpServer: HttpServer | undefined;
  private metricsServer: HttpServer | undefined;
  private telemetry: Telemetry | undefined;
  private shuttingDown = false;
  private monitorReady = false;
  private stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;
  /** resources/subscribe bounds, per principal across every session of this daemon. */
  private readonly subscriptions: SubscriptionBudget;
  private historyStarted: Promise<void> | undefined;
  /** Resolves once stop() has finished, whoever called it (a signal, or the stdio client leaving). */
  readonly stopped = new Promise<void>((r) => (this.resolveStopped = r));

  constructor(private readonly options: AppOptions) {
    this.log = options.logger ?? createLogger({ level: options.logLevel ?? options.config.logLevel });
    // A Prometheus source is watched like any dependency: the `fleet` check.
    this.monitor = new HealthMonitor(withFleetCheck(options.config), this.log.child({ component: 'monitor' }));
    this.processes = new ProcessSampler({ procfs: options.config.host.procfs });
    this.subscriptions = new SubscriptionBudget(options.config.limits);
  }

  /**
   * The history store and its recorder, subscribed before the first sample so history starts with it. A
   * postgres store connects and migrates in the background: samples are buffered until it is there.
   */
  private async startHistory(): Promise<void> {
    const log = this.log.child({ component: 'history' });
    const history = await createHistory(this.options.config, log);
    this.history = history;
    const capture = async () => {
      const rows = await this.processes.sample();
      const byMemory = [...rows].sort((a, b) => b.rssBytes - a.rssBytes).slice(0, 5);
      return [...new Set([...rows.slice(0, 10), ...byMemory])];
    };
    this.recorder = new Recorder(this.monitor, history, { captureProcesses: capture, log });
    this.recorder.start();
    this.historyStarted = history
      .start()
      .catch((e: unknown) => log.error({ err: (e as Error)?.message }, 'history store failed to start'));
  }

  async start(): Promise<void> {
    // Some 8-25 s after start V8's memory reducer shrinks the heap that start-up grew (32 MiB committed to 15): one
    // full GC does it, its second one here freed 0.1 MiB for ~20 ms of CPU. The flag is read when the reducer
    // runs, so setting it now takes effect (`--trace-gc` shows one "(reduce)" GC instead of two).
    setFlagsFromString('--memory-reducer-single-gc');
    // The CLI starts a daemon with TurboFan off (shared/optimizer.ts): one with checks, fleet sources or HTTP has
    // work for it at once; a stdio daemon with none turns it on when it gets busy (watched after start).
    const { config } = this.options;
    const working = config.checks.length > 0 || config.fleet !== undefined;
    if (working || this.options.http || this.options.metricsPort !== undefined) optimizer.enable();
    // Telemetry loads in the background (nothing at all when nothing is configured) while the transports come up.
    const prometheus = Boolean(this.options.http) || this.options.metricsPort !== undefined;
    this.telemetry = startTelemetry({
      monitor: this.monitor,
      config: this.options.config,
      log: this.log,
      version: VERSION,
      prometheus,
      historyStats: () => this.history?.stats(),
    });
    await this.startHistory();
    // The fleet clients load only when a fleet section is configured: most daemons have none.
    const fleetConfig = this.options.config.fleet;
    if (fleetConfig) this.fleet = new (await import('./fleet/index.js')).Fleet(fleetConfig);
    // The MCP transport is connected before the first sample so `initialize` is answered at once;
    // tool calls that arrive before the first sample wait for it (monitor.ready). The monitor starts once the
    // instrumentations are hooked: its probes load pg and ioredis.
    const monitorStarted = this.telemetry.ready.then(() => this.monitor.start());
    void this.monitor.ready.then(() => (this.monitorReady = true));
    if (this.options.stdio) await this.startStdio();
    if (this.options.http) await this.startHttp(this.options.http);
    if (this.options.metricsPort !== undefined) await this.startMetricsServer(this.options.metricsPort);
    // The tool definitions load once the transports are up rather than on the first tools/list or tools/call;
    // over stdio, once the first message is answered (startStdio): they are not needed for `initialize`.
    if (!this.options.stdio) this.preloadTools();
    await monitorStarted;
    await this.historyStarted;
    await this.startPoster();
    const stopWatching = optimizer.enableWhenBusy((tick) => {
      this.monitor.on('snapshot', tick);
      return () => void this.monitor.off('snapshot', tick);
    });
    this.closers.push(async () => stopWatching());
    // A served daemon gives start-up's garbage back at the memory reducer's next timer (~8 s after start) rather
    // than somewhere in its first minute, where its scrapes see it. A stdio daemon is left to V8's timing: the same
    // GC at 8 s would land inside its first 30 s in every run (bench/host.mjs measures 3-33 s: 0.27 % median against
    // 0.21 %, where V8's own timing missed it one run in three); it costs the same either way, RSS is settled sooner.
    if (this.options.http || this.options.metricsPort !== undefined) {
      const settled = settleHeapAfterStart();
      this.closers.push(async () => settled());
    }
    this.log.info(
      { version: VERSION, checks: this.options.config.checks.length, stdio: this.options.stdio },
      'mcp-vitals started',
    );
  }

  private preloadTools(): void {
    preloadTools(this.fleet).catch((e: unknown) =>
      this.log.error({ err: (e as Error)?.message }, 'tool definitions failed to load'),
    );
  }

  /** Posts the daemon's own check transitions to Alertmanager, when asked to. */
  private async startPoster(): Promise<void> {
    const am = this.options.config.fleet?.alertmanager;
    if (!am?.post.enabled || !this.fleet?.alertmanager) return;
    const { AlertPoster } = await import('./fleet/poster.js');
    this.poster = new AlertPoster(
      this.monitor,
      this.fleet.alertmanager,
      am.post,
      this.log.child({ component: 'alertmanager-poster' }),
    );
    this.poster.start();
  }

  /** The bound HTTP address (useful with port 0). */
  get httpAddress(): { host: string; port: number } | undefined {
    return this.httpServer?.address;
  }

  private async startHttp(http: NonNullable<AppOptions['http']>): Promise<void> {
    // fastify is loaded only when HTTP is served: it would add ~110 ms to a stdio cold start.
    const [{ startHttpServer }, { healthRoutes }, { mcpRoutes, scopesFromExtra }, { McpHttp }, metricsModule] =
      await Promise.all([
        import('./http/server.js'),
        import('./http/routes/health.js'),
        import('./http/routes/mcp.js'),
        import('./http/mcp-sessions.js'),
        import('./http/routes/metrics.js'),
      ]);
    const [{ statusRoutes }, { ModernMcp }, { RedisServerEventBus }, { InMemoryServerEventBus }, { publishChanges }] =
      await Promise.all([
        import('./http/routes/status.js'),
        import('./http/mcp-modern.js'),
        import('./http/event-bus.js'),
        import('@modelcontextprotocol/server'),
        import('./mcp/resources/changes.js'),
      ]);
    const config = this.options.config.http;
    const limits = this.options.config.limits;
    // Per session (or per request when stateless); the caller's scopes travel in each request's authInfo.
    const serverFor = (live: 'session' | 'bus' | 'none') => () =>
      createMcpServer({
        ...this.serverSources(),
        scopesFor: scopesFromExtra,
        transportObserver: this.telemetry?.mcpObserver,
        live,
        era: live === 'bus' ? 'modern' : 'legacy',
        networkTransport: 'tcp',
        cacheScope: config.auth ? 'private' : 'public',
      });
    const mcp = new McpHttp({
      // A stateless 2025-era server can never push anything, so it claims no subscriptions.
      createServer: serverFor(config.stateless ? 'none' : 'session'),
      stateless: config.stateless,
      maxSessions: config.sessions.max,
      maxSessionsPerOwner: config.sessions.maxPerPrincipal,
      idleTimeoutMs: config.sessions.idleTimeout,
      limits: { batchSize: limits.batchSize, pendingRequests: limits.pendingRequests },
      log: this.log.child({ component: 'mcp-http' }),
    });
    const busRedis = config.events.redis ?? config.rateLimit.redis;
    let bus: InstanceType<typeof InMemoryServerEventBus> | InstanceType<typeof RedisServerEventBus>;
    if (busRedis) {
      const redisBus = new RedisServerEventBus({
        url: busRedis,
        channel: config.events.channel,
        log: this.log.child({ component: 'event-bus' }),
      });
      await redisBus.start();
      this.closers.push(() => redisBus.close());
      bus = redisBus;
    } else bus = new InMemoryServerEventBus();
    const publisher = publishChanges(this.monitor, bus);
    this.closers.push(async () => publisher.stop());
    const modern = new ModernMcp({
      createServer: serverFor('bus'),
      bus,
      budget: this.subscriptions,
      maxSubscriptions: config.sessions.max,
      maxBodyBytes: config.bodyLimit,
      log: this.log.child({ component: 'mcp-http' }),
    });
    const metrics = this.metricsRoutes(metricsModule);
    this.httpServer = await startHttpServer({
      config,
      ...(http.listen ? { listen: http.listen } : {}),
      log: this.log,
      insecure: Boolean(http.insecure),
      limits: this.options.config.limits,
      plugins: [
        [
          healthRoutes,
          {
            monitor: this.monitor,
            release: VERSION,
            shuttingDown: () => this.shuttingDown,
            started: () => this.monitorReady,
          },
        ],
        [mcpRoutes, { mcp, modern }],
        [
          statusRoutes,
          {
            monitor: this.monitor,
            ...(this.history ? { query: this.history.query.bind(this.history) } : {}),
            maxStreams: this.options.config.limits.eventStreams,
            maxStreamsPerClient: this.options.config.limits.eventStreamsPerPrincipal,
          },
        ],
        ...metrics.plugins,
      ],
      ...metrics.shortcut,
      // Listen streams never end on their own: they are closed (gracefully, per the spec) once the requests in
      // flight are answered or the grace period is over, with the sessions.
      drain: async (deadline) => void (await Promise.all([mcp.shutdown(deadline), modern.close(deadline)])),
    });
  }

  /**
   * /metrics and the HTTP request histogram as plugins, when telemetry serves a page; and the page served past
   * fastify when nothing stands in a scrape's way.
   */
  private metricsRoutes(m: typeof import('./http/routes/metrics.js')) {
    const page = this.telemetry?.metricsPage;
    const record = this.telemetry?.recordHttp;
    const plugins: [RoutePlugin, Record<string, unknown>][] = [];
    if (record) plugins.push([m.httpMetricsPlugin, { record }]);
    if (page) plugins.push([m.metricsRoutes, { page }]);
    const shortcut = page ? { metricsShortcut: m.metricsShortcut({ page, ...(record ? { record } : {}) }) } : {};
    return { plugins, shortcut };
  }

  /**
   * `--metrics-port`: health routes and /metrics on loopback beside stdio, so a daemon that Claude Desktop
   * launched can still be scraped. No /mcp here: that stays the stdio client's.
   */
  private async startMetricsServer(port: number): Promise<void> {
    const [{ startHttpServer }, { healthRoutes }, metricsModule] = await Promise.all([
      import('./http/server.js'),
      import('./http/routes/health.js'),
      import('./http/routes/metrics.js'),
    ]);
    const metrics = this.metricsRoutes(metricsModule);
    this.metricsServer = await startHttpServer({
      config: this.options.config.http,
      listen: `127.0.0.1:${port}`,
      log: this.log,
      insecure: false,
      plugins: [
        [
          healthRoutes,
          {
            monitor: this.monitor,
            release: VERSION,
            shuttingDown: () => this.shuttingDown,
            started: () => this.monitorReady,
          },
        ],
        ...metrics.plugins,
      ],
      ...metrics.shortcut,
    });
  }

  /** The bound address of the --metrics-port server. */
  get metricsAddress(): { host: string; port: number } | undefined {
    return this.metricsServer?.address;
  }

  /**
   * stdio through the SDK's `serveStdio`: the opening message picks the era (a 2026-07-28 `server/discover` or
   * enveloped request, or a 2025-era `initialize`) and pins one server from the factory for the connection.
   * It takes our bounded transport (line and pending-request bounds, EOF exit) in place of its own.
   */
  /** What every MCP server reads, whichever transport and era it serves. */
  private serverSources() {
    return {
      monitor: this.monitor,
      version: VERSION,
      history: this.history,
      processes: this.processes,
      fleet: this.fleet,
      subscriptions: this.subscriptions,
    };
  }

  private async startStdio(): Promise<void> {
    const limits = this.options.config.limits;
    const log = this.log.child({ component: 'stdio' });
    const transport = new BoundedStdioTransport({
      maxLineBytes: limits.messageBytes,
      maxPending: limits.pendingRequests,
      log,
      // The client closing our stdin is how Claude Desktop says goodbye.
      onEnd: () => void this.stop('stdin closed'),
    });
    const direct = new DirectCalls();
    const handle = serveStdio(
      ({ era }) => {
        // Called on the opening message: the tools load on the turn after it is answered.
        setImmediate(() => this.preloadTools());
        return createMcpServer({
          ...this.serverSources(),
          era,
          live: era === 'modern' ? 'listen' : 'session',
          ...(era === 'legacy' ? { direct } : {}),
        });
      },
      {
        transport: direct.wrap(observed(transport, this.telemetry?.mcpObserver, 'pipe', this.fleet)),
        maxSubscriptions: limits.subscriptionsPerSession,
        onerror: (e) => log.debug({ err: { message: e.message } }, 'stdio MCP error'),
      },
    );
    this.closers.push(() => handle.close());
  }

  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason }, 'mcp-vitals stopping');
      // Readiness fails first so load balancers stop sending before anything closes. Then HTTP stops accepting,
      // in-flight requests finish within http.shutdownGrace and MCP sessions close; only then does the monitor
      // stop (a slow refresh in flight still has its checks), and telemetry and history flush after that.
      this.shuttingDown = true;
      await Promise.all([this.httpServer?.close(), this.metricsServer?.close()]);
      await Promise.allSettled(this.closers.map((close) => close()));
      await this.poster?.stop();
      await this.monitor.stop();
      this.fleet?.close();
      // The last samples are in; write out what the history store still buffers.
      this.recorder?.stop();
      await this.history?.close();
      await this.telemetry?.shutdown();
      this.log.info('mcp-vitals stopped');
    })().finally(() => this.resolveStopped());
    return this.stopping;
  }
}
