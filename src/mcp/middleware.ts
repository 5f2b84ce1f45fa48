import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { HealthMonitor } from '../monitor/health-monitor.js';
import { redactText } from '../shared/redact.js';
import { ToolError, type ToolContext, type ToolDefinition } from './tools/types.js';

export interface ToolCallInfo {
  tool: string;
  durationMs: number;
  /** Set when the call failed: `tool_error` for a reported failure, else the exception's name. */
  errorType?: string;
}

/** Hooks for telemetry; called after every tool call. */
export type ToolCallObserver = (info: ToolCallInfo) => void;

/**
 * Wraps a tool: times it, records the call in the monitor (its error rate is itself a health input),
 * turns thrown errors into `isError` results with a short redacted message, and never lets one escape.
 */
export function wrapTool(def: ToolDefinition, monitor: HealthMonitor, ctxFor: (extra: unknown) => ToolContext, observers: ToolCallObserver[]) {
  return async (args: unknown, extra: unknown): Promise<CallToolResult> => {
    const started = performance.now();
    let errorType: string | undefined;
    try {
      const { text, data } = await def.run(args as never, ctxFor(extra));
      return { content: [{ type: 'text', text }], structuredContent: data as Record<string, unknown> };
    } catch (e) {
      errorType = e instanceof ToolError ? 'tool_error' : ((e as Error)?.name ?? 'Error');
      const message = e instanceof ToolError ? e.message : `internal error in ${def.name}: ${redactText(String((e as Error)?.message ?? e), monitor.secrets)}`;
      return { content: [{ type: 'text', text: message }], isError: true };
    } finally {
      const durationMs = performance.now() - started;
      monitor.recordToolCall({ tool: def.name, durationMs, error: errorType !== undefined });
      for (const o of observers) o({ tool: def.name, durationMs, ...(errorType ? { errorType } : {}) });
    }
  };
}
