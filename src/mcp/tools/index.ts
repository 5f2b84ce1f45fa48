import { checkDependenciesTool } from './check-dependencies.js';
import { diagnoseTool } from './diagnose.js';
import { getMetricsTool } from './get-metrics.js';
import { healthCheckTool } from './health-check.js';
import { listEventsTool } from './list-events.js';
import { queryHistoryTool } from './query-history.js';
import { showStatusTool } from './show-status.js';
import { topProcessesTool } from './top-processes.js';
import type { ToolDefinition } from './types.js';

/** Every tool the server offers, in the order clients list them. */
export const tools: ToolDefinition<any, any>[] = [healthCheckTool, getMetricsTool, checkDependenciesTool, diagnoseTool, queryHistoryTool, listEventsTool, topProcessesTool, showStatusTool];
