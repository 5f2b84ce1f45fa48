/**
 * What broke, when and why: pure functions over plain inputs (no store, no MCP), so any source can feed them;
 * from-monitor.ts and from-history.ts gather those inputs from a monitor or from a store handed in.
 */
export { analyze } from './analyze.js';
export { analyzeMonitor } from './from-monitor.js';
export { analysisFromHistory, lookbackStart, type AnalysisSource } from './from-history.js';
export { renderAnalysis, DIAGNOSE_TEXT_BUDGET } from './render.js';
export { MIN_TREND_SPAN_MS } from './trends.js';
export { Analysis, type AnalysisInput, type SeriesData } from './types.js';
