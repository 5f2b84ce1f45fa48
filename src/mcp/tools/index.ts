import { checkDependenciesTool } from './check-dependencies.js';
import { getMetricsTool } from './get-metrics.js';
import { healthCheckTool } from './health-check.js';
import type { ToolDefinition } from './types.js';

/** Every tool the server offers, in the order clients list them. */
export const tools: ToolDefinition<any, any>[] = [healthCheckTool, getMetricsTool, checkDependenciesTool];
