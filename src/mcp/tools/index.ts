import { checkDependenciesTool } from './check-dependencies.js';
import { diagnoseTool } from './diagnose.js';
import { explainAlertTool } from './explain-alert.js';
import { fleetHealthTool } from './fleet-health.js';
import { getMetricsTool } from './get-metrics.js';
import { healthCheckTool } from './health-check.js';
import { listAlertsTool } from './list-alerts.js';
import { listEventsTool } from './list-events.js';
import { queryHistoryTool } from './query-history.js';
import { showStatusTool } from './show-status.js';
import { topProcessesTool } from './top-processes.js';
import type { Fleet } from '../../fleet/index.js';
import type { AnyToolDefinition } from './types.js';

/** Every tool the server offers, in the order clients list them. */
export const tools: AnyToolDefinition[] = [
  healthCheckTool,
  getMetricsTool,
  checkDependenciesTool,
  diagnoseTool,
  queryHistoryTool,
  listEventsTool,
  topProcessesTool,
  showStatusTool,
];

/** The fleet tools, for the sources that are configured: none at all without a fleet section. */
export function fleetTools(fleet: Fleet | undefined): AnyToolDefinition[] {
  if (!fleet) return [];
  return [
    ...(fleet.prometheus ? [fleetHealthTool] : []),
    listAlertsTool,
    ...(fleet.prometheus ? [explainAlertTool] : []),
  ];
}
