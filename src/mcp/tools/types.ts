import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import type { Fleet } from '../../fleet/index.js';
import { VitalsError } from '../../shared/errors.js';
import type { ProcessRow } from '../../monitor/schema.js';
import type { History } from '../../store/types.js';

/** Top processes on demand (top_processes is the one tool that samples: a process table is not kept on a schedule). */
export interface ProcessSource {
  top(n: number, by: 'cpu' | 'memory'): Promise<{ rows: ProcessRow[]; total: number; sampledAt: number }>;
}

/** What a tool handler may use: the monitor and the history to read, and who is asking. */
export interface ToolContext {
  monitor: HealthMonitor;
  /** Sampled history and events; absent only where no store was built (then history tools say so). */
  history?: History;
  processes?: ProcessSource;
  /** The fleet's Prometheus/Alertmanager sources, when configured (fleet tools, `instance` arguments). */
  fleet?: Fleet;
  /** Scopes of the caller; undefined when the transport has no authentication (stdio, open loopback). */
  scopes?: ReadonlySet<string>;
}

interface ToolResult<O> {
  /** Short text for the model. */
  text: string;
  /** Typed data matching the output schema. */
  data: O;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run(args: z.infer<I>, ctx: ToolContext): Promise<ToolResult<z.infer<O>>>;
}

/** A definition of any input and output shape: a list of tools mixes them, and each call is checked by its own. */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of generic definitions; each is typed where defined
export type AnyToolDefinition = ToolDefinition<any, any>;

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  def: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return def;
}

/** A failure to report to the model as an `isError` result with a short message. */
export class ToolError extends VitalsError {
  constructor(message: string, code = 'TOOL_ERROR') {
    super(code, message);
  }
}

/**
 * `error.type` of a failed tool call. The caller's own mistakes (bad or unknown arguments, unknown names,
 * a missing scope) are client errors, prefixed `client.`: counted, but never part of the daemon's health.
 */
const CLIENT_ERROR_TYPES: Record<string, string> = {
  INVALID_ARGUMENT: 'client.invalid_argument',
  UNKNOWN_TOOL: 'client.unknown_tool',
  UNKNOWN_SERIES: 'client.unknown_name',
  UNKNOWN_CHECK: 'client.unknown_name',
  /** An alert or instance the fleet's sources do not have. */
  UNKNOWN_NAME: 'client.unknown_name',
  FORBIDDEN: 'client.forbidden',
};

export interface ErrorClass {
  type: string;
  client: boolean;
}

export function classifyError(e: unknown): ErrorClass {
  if (e instanceof ToolError) {
    const client = CLIENT_ERROR_TYPES[e.code];
    if (client) return { type: client, client: true };
    return { type: e.code === 'STORE_UNAVAILABLE' ? 'store_unavailable' : 'tool_error', client: false };
  }
  return { type: 'internal', client: false };
}

export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
