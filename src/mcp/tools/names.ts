import type { Fleet } from '../../fleet/index.js';

/**
 * The names of the tools a server offers, without loading the tools: telemetry labels calls by them from the
 * first message on, while the definitions (schemas and all) load only when a client lists or calls a tool.
 * `tools/index.ts` holds the definitions in the same order; a test keeps the two in step.
 */
export const LOCAL_TOOL_NAMES = [
  'health_check',
  'get_metrics',
  'check_dependencies',
  'diagnose',
  'query_history',
  'list_events',
  'top_processes',
  'show_status',
] as const;

/** The fleet tools' names, for the sources that are configured, as `fleetTools` picks them. */
export function fleetToolNames(fleet: Pick<Fleet, 'prometheus'> | undefined): string[] {
  if (!fleet) return [];
  return [...(fleet.prometheus ? ['fleet_health'] : []), 'list_alerts', ...(fleet.prometheus ? ['explain_alert'] : [])];
}
