/**
 * What broke, when and why: pure functions over plain inputs (no store, no MCP), so any source can feed them;
 * from-monitor.ts and from-history.ts gather those inputs from a monitor or from a store handed in.
 */
export { analyze, BEFORE_MS, RESOURCE_SERIES } from './analyze.js';
export { analyzeMonitor, type MonitorView } from './from-monitor.js';
export { analysisFromHistory, lookbackStart, type AnalysisSource } from './from-history.js';
export { sharedStarts, type SharedStart } from './correlation.js';
export { buildIncidents, inWindow, type IncidentSpan } from './incidents.js';
export { renderAnalysis, DIAGNOSE_TEXT_BUDGET } from './render.js';
export { averageBetween, diskEta, MIN_TREND_SPAN_MS } from './trends.js';
export {
  Analysis,
  Finding,
  Incident,
  type AnalysisInput,
  type SeriesData,
  type SeriesStats,
} from './types.js';
