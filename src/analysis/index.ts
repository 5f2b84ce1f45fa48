/** What broke, when and why: pure functions over plain inputs (no store, no MCP), so any source can feed them. */
export { analyze, BEFORE_MS, RESOURCE_SERIES } from './analyze.js';
export { analyzeMonitor } from './from-monitor.js';
export { buildIncidents, inWindow } from './incidents.js';
export { renderAnalysis, DIAGNOSE_TEXT_BUDGET } from './render.js';
export { MIN_TREND_SPAN_MS } from './trends.js';
export { Analysis, type AnalysisInput, type SeriesData } from './types.js';
