import { McpServer } from '@modelcontextprotocol/server';
import type { HealthMonitor } from '../monitor/health-monitor.js';
import type { History } from '../store/types.js';
import type { Tool } from '@modelcontextprotocol/server';
import { LazyAjvValidator } from './json-schema-validator.js';
import { legacyResourceErrors } from './legacy-errors.js';
import type { McpTransportObserver } from '../shared/mcp-observer.js';
import { observeTransport, toolCallHandler, type ToolCallObserver } from './middleware.js';
import type { DirectCalls } from './direct-calls.js';
import { registerStatusApp } from './apps/status-app.js';
import { registerPrompts } from './prompts/index.js';
import { listCacheHints } from './resources/cache.js';
import { registerResources } from './resources/index.js';
import type { Fleet } from '../fleet/index.js';
import { attachLiveUpdates, type LiveMode, type SubscriptionBudget } from './resources/live.js';
import { toolList } from './tool-list.js';
import { fleetToolNames, LOCAL_TOOL_NAMES } from './tools/names.js';
import type { ProcessSource, ToolContext, AnyToolDefinition } from './tools/types.js';

export interface McpServerOptions {
  monitor: HealthMonitor;
  version: string;
  /** History for query_history, list_events and diagnose; without it those tools answer with an error. */
  history?: History;
  /** On-demand process table for top_processes. */
  processes?: ProcessSource;
  observers?: ToolCallObserver[];
  /** Scopes of the caller for a request, from the HTTP layer's auth; undefined means unrestricted. */
  scopesFor?: (extra: unknown) => ReadonlySet<string> | undefined;
  /** The fleet's sources: the fleet tools are registered only with it. */
  fleet?: Fleet;
  /** Telemetry (spans and mcp.server.* metrics) for every transport this server is connected to. */
  transportObserver?: McpTransportObserver;
  /** Subscription bounds shared by every server of the daemon (per principal across sessions). */
  subscriptions?: SubscriptionBudget;
  /** How this instance delivers resource changes, by what its connection can carry (see LiveMode). */
  live?: LiveMode;
  /**
   * 2026-07-28 `cacheScope` of results: `public` only where anyone who can reach the daemon may read them (no
   * auth); `private` (the default) otherwise.
   */
  cacheScope?: 'public' | 'private';
  /** The protocol era this instance serves: a 2025-era one keeps that era's error codes. */
  era?: 'legacy' | 'modern';
  /** `network.transport` of the connection, when the transport cannot tell (`pipe` for stdio, `tcp` for HTTP). */
  networkTransport?: 'pipe' | 'tcp';
  /** stdio's direct answers for this (2025-era) server's tool calls: given the handler once it is loaded. */
  direct?: DirectCalls;
}

const INSTRUCTIONS =
  'mcp-vitals watches this machine (CPU, memory, disks, network) and the services it depends on. ' +
  'Call health_check first for the overall status and the reasons behind anything not passing; get_metrics for ' +
  'raw figures in base units; check_dependencies for databases, caches and endpoints. Every answer comes from ' +
  'the latest scheduled sample, so calls are cheap. To look back: diagnose explains what is wrong, since when and ' +
  'what changed before; query_history and list_events show how a metric or check behaved; top_processes shows who ' +
  'uses CPU or memory now. Values in structured content are in base units (bytes, seconds, ratios 0..1; times ISO ' +
  'UTC); a status is pass, warn, fail, or pending (no result yet). Listen (2025-era sessions: subscribe) to ' +
  'vitals://health or vitals://checks/{name} to hear of status changes.';

const FLEET_INSTRUCTIONS =
  ' For other hosts: fleet_health lists every mcp-vitals instance Prometheus scrapes, worst first; ' +
  'query_history and diagnose ' +
  'take `instance` to read one of them from Prometheus; list_alerts and explain_alert tell what is paging and why.';

/**
 * One validator (an Ajv instance and its compiled-schema cache) shared by every server: left to itself the SDK
 * builds a fresh Ajv per McpServer, which was the largest cost of a stateless HTTP request and of each session.
 */
let validator: LazyAjvValidator | undefined;
/** What a server offers of tools: the definitions and the tools/list answer. */
interface ToolTable {
  offered: AnyToolDefinition[];
  /**
   * The tools/list answer, converted on the first tools/list rather than with the server: the conversion is the
   * largest piece of work before a stdio session's `initialize` reply, which needs none of it.
   */
  list(): Tool[];
}
/**
 * Built once per fleet configuration (the fleet tools depend on which sources it has) and shared by every server:
 * a stateless HTTP request builds a server per request, and converting the schemas is the dearest part of that.
 * The definitions (every tool's schemas, the fleet clients they use) load on the first tools/list or tools/call,
 * or on `preloadTools`, not before a server can answer `initialize`: they were a third of a stdio cold start.
 */
const tables = new WeakMap<object, Promise<ToolTable>>();
const NO_FLEET = {};
function toolTable(fleet: Fleet | undefined): Promise<ToolTable> {
  const key = fleet ?? NO_FLEET;
  let table = tables.get(key);
  if (!table) {
    table = import('./tools/index.js').then(({ tools, fleetTools }) => {
      const offered = [...tools, ...fleetTools(fleet)];
      let list: Tool[] | undefined;
      return { offered, list: () => (list ??= toolList(offered)) };
    });
    tables.set(key, table);
  }
  return table;
}

type CallHandler = ReturnType<typeof toolCallHandler>;

/** Loads the tool definitions ahead of the first tools/list or tools/call (a daemon calls it once it has answered). */
export async function preloadTools(fleet: Fleet | undefined): Promise<void> {
  await toolTable(fleet);
}

/** The names a server offers, which telemetry may use as label values; known without loading the tools. */
const toolNames = new WeakMap<object, ReadonlySet<string>>();
function namesOf(fleet: Fleet | undefined): ReadonlySet<string> {
  const key = fleet ?? NO_FLEET;
  const known = toolNames.get(key);
  if (known) return known;
  const names = new Set([...LOCAL_TOOL_NAMES, ...fleetToolNames(fleet)]);
  toolNames.set(key, names);
  return names;
}

/** Telemetry for a transport served outside createMcpServer's own connect (stdio: the SDK's entry owns it). */
export function observed<T extends Parameters<typeof observeTransport>[0]>(
  transport: T,
  observer: McpTransportObserver | undefined,
  networkTransport: 'pipe' | 'tcp',
  fleet?: Fleet,
): T {
  return observer ? observeTransport(transport, observer, namesOf(fleet), networkTransport) : transport;
}

/** One McpServer with every tool registered; transports are connected by the caller. */
export function createMcpServer(options: McpServerOptions): McpServer {
  validator ??= new LazyAjvValidator();
  const server = new McpServer(
    { name: 'mcp-vitals', title: 'mcp-vitals', version: options.version },
    {
      instructions: options.fleet ? INSTRUCTIONS + FLEET_INSTRUCTIONS : INSTRUCTIONS,
      capabilities: { logging: {} },
      jsonSchemaValidator: validator,
      cacheHints: listCacheHints(options.cacheScope ?? 'private', options.monitor.config.host.interval),
    },
  );
  const ctxFor = (extra: unknown): ToolContext => {
    const scopes = options.scopesFor?.(extra);
    return {
      monitor: options.monitor,
      ...(options.history ? { history: options.history } : {}),
      ...(options.processes ? { processes: options.processes } : {}),
      ...(options.fleet ? { fleet: options.fleet } : {}),
      ...(scopes ? { scopes } : {}),
    };
  };
  // tools/list and tools/call are answered by our own handlers: the list is built once, when first asked for
  // (per set of tools: the fleet tools only where a source is configured) and kept small, and every call is
  // classified and counted, including those the SDK would refuse before any tool ran.
  server.server.registerCapabilities({ tools: { listChanged: false } });
  const app = registerStatusApp(server, options.era === 'modern' ? 'modern' : 'legacy');
  server.server.setRequestHandler('tools/list', async (_req, ctx) => ({
    tools: app.tools((await toolTable(options.fleet)).list(), ctx),
  }));
  let call: CallHandler | undefined;
  const { direct } = options;
  const loadCall = async (): Promise<CallHandler> => {
    const { offered } = await toolTable(options.fleet);
    if (call) return call;
    call = toolCallHandler(offered, options.monitor, ctxFor, options.observers ?? []);
    direct?.serve(call);
    return call;
  };
  // Once loaded, a call goes straight to the handler: no async frame of its own on every call. A request stdio
  // already ran (direct-calls.ts) is answered with the result it got.
  server.server.setRequestHandler(
    'tools/call',
    ((request: Parameters<CallHandler>[0], extra: { mcpReq?: { id?: string | number } }) =>
      direct?.take(extra.mcpReq?.id) ??
      (call ? call(request, extra) : loadCall().then((c) => c(request, extra)))) as never,
  );
  // Reads carry cache fields on 2026-07-28 only (the SDK fills list results per era itself).
  registerResources(server, options.monitor, options.era === 'modern' ? (options.cacheScope ?? 'private') : undefined);
  registerPrompts(server, options.monitor);
  attachLiveUpdates(server, options.monitor, options.subscriptions, options.live ?? 'session');
  const observer = options.transportObserver;
  const legacy = options.era !== 'modern';
  if (observer || legacy) {
    const connect = server.connect.bind(server);
    server.connect = (transport) => {
      if (legacy) legacyResourceErrors(transport);
      return connect(
        observer
          ? observed(
              transport,
              observer,
              options.networkTransport ?? ('handleRequest' in transport ? 'tcp' : 'pipe'),
              options.fleet,
            )
          : transport,
      );
    };
  }
  return server;
}
