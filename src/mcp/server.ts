import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { HealthMonitor } from '../monitor/health-monitor.js';
import type { History } from '../store/types.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { observeTransport, toolCallHandler, type McpTransportObserver, type ToolCallObserver } from './middleware.js';
import { registerStatusApp } from './apps/status-app.js';
import { registerPrompts } from './prompts/index.js';
import { registerResources } from './resources/index.js';
import type { Fleet } from '../fleet/index.js';
import { attachLiveUpdates, type SubscriptionBudget } from './resources/live.js';
import { toolList } from './tool-list.js';
import { fleetTools, tools } from './tools/index.js';
import type { ProcessSource, ToolContext } from './tools/types.js';

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
}

const INSTRUCTIONS =
  'mcp-vitals watches this machine (CPU, memory, disks, network) and the services it depends on. ' +
  'Call health_check first for the overall status and the reasons behind anything not passing; get_metrics for ' +
  'raw figures in base units; check_dependencies for databases, caches and endpoints. Every answer comes from ' +
  'the latest scheduled sample, so calls are cheap. To look back: diagnose explains what is wrong, since when and ' +
  'what changed before; query_history and list_events show how a metric or check behaved; top_processes shows who ' +
  'uses CPU or memory now. Values in structured content are in base units (bytes, seconds, ratios 0..1; times ISO ' +
  'UTC); a status is pass, warn, fail, or pending (no result yet). Subscribe to vitals://health or ' +
  'vitals://checks/{name} to hear of status changes.';

const FLEET_INSTRUCTIONS =
  ' For other hosts: fleet_health lists every mcp-vitals instance Prometheus scrapes, worst first; query_history and diagnose ' +
  'take `instance` to read one of them from Prometheus; list_alerts and explain_alert tell what is paging and why.';

/**
 * One validator (an Ajv instance and its compiled-schema cache) shared by every server: left to itself the SDK
 * builds a fresh Ajv per McpServer, which was the largest cost of a stateless HTTP request and of each session.
 */
let validator: AjvJsonSchemaValidator | undefined;
/** tools/list answers, built once per set of tools offered. */
const listed = new Map<string, Tool[]>();

/** One McpServer with every tool registered; transports are connected by the caller. */
export function createMcpServer(options: McpServerOptions): McpServer {
  validator ??= new AjvJsonSchemaValidator();
  const server = new McpServer({ name: 'mcp-vitals', title: 'mcp-vitals', version: options.version }, { instructions: options.fleet ? INSTRUCTIONS + FLEET_INSTRUCTIONS : INSTRUCTIONS, capabilities: { logging: {} }, jsonSchemaValidator: validator });
  const ctxFor = (extra: unknown): ToolContext => {
    const scopes = options.scopesFor?.(extra);
    return { monitor: options.monitor, ...(options.history ? { history: options.history } : {}), ...(options.processes ? { processes: options.processes } : {}), ...(options.fleet ? { fleet: options.fleet } : {}), ...(scopes ? { scopes } : {}) };
  };
  // tools/list and tools/call are answered by our own handlers: the list is built once (per set of tools:
  // the fleet tools only where a source is configured) and kept small, and every call is classified and
  // counted, including those the SDK would refuse before any tool ran.
  const offered = [...tools, ...fleetTools(options.fleet)];
  const key = offered.map((t) => t.name).join(',');
  const list = listed.get(key) ?? listed.set(key, toolList(offered)).get(key)!;
  server.server.registerCapabilities({ tools: { listChanged: false } });
  const app = registerStatusApp(server);
  server.server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: app.tools(list) }));
  server.server.setRequestHandler(CallToolRequestSchema, toolCallHandler(offered, options.monitor, ctxFor, options.observers ?? []) as never);
  registerResources(server, options.monitor);
  registerPrompts(server, options.monitor);
  attachLiveUpdates(server, options.monitor, options.subscriptions);
  const observer = options.transportObserver;
  if (observer) {
    const knownTools = new Set(offered.map((t) => t.name));
    const connect = server.connect.bind(server);
    server.connect = (transport) => connect(observeTransport(transport, observer, knownTools));
  }
  return server;
}
