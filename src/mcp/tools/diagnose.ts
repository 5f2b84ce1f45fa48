import { z } from 'zod';
import {
  Analysis,
  analysisFromHistory,
  lookbackStart,
  renderAnalysis,
  type AnalysisSource,
} from '../../analysis/index.js';
import { remoteAnalysisSource } from '../../fleet/analysis-source.js';
import { fleetError, requireFleet } from './fleet-common.js';
import { parseWindow, requireHistory } from './history-common.js';
import { defineTool, READ_ONLY, ToolError } from './types.js';
import { InstanceArg, WindowArg } from '../../config/limits.js';

export const diagnoseTool = defineTool({
  name: 'diagnose',
  title: 'Diagnose',
  description:
    'What broke, when and why, from the recorded history: each incident ' +
    'in the window (ongoing or finished) with its start, ' +
    'end and duration, what changed just before (other checks, CPU/' +
    'memory/load/disk), the processes captured when it began, ' +
    'problems that began together, and disk-full ETAs from trends of ' +
    'at least 10 minutes. Says where evidence is missing. ' +
    'Start here for "what is going on?" or "what happened?".',
  input: z.object({
    window: WindowArg.default('6h').describe('How far back: "1h", "6h", "24h".'),
    check: z.string().min(1).max(1024).optional().describe('Only this check (disk-full ETAs are still reported).'),
    verbose: z.boolean().optional().describe('Every finding, past the usual length limit.'),
    instance: InstanceArg.optional().describe(
      'Another host, as fleet_health lists it: the same analysis over ' +
        'its checks, transitions and series in Prometheus.',
    ),
  }),
  output: Analysis,
  annotations: { title: 'Diagnose', ...READ_ONLY },
  async run(args, { monitor, history, fleet }) {
    const windowMs = parseWindow(args.window);
    const now = monitor.now();
    let source: AnalysisSource;
    if (args.instance !== undefined) {
      // Another host: its checks and transitions as Prometheus has them, through the same analysis.
      const since = lookbackStart(now, windowMs);
      source = await remoteAnalysisSource(requireFleet(fleet), args.instance, since, now).catch(fleetError);
    } else {
      await monitor.ready;
      source = {
        snapshot: monitor.snapshot,
        history: requireHistory(history),
        intervals: monitor.intervals,
        hostIntervalMs: monitor.config.host.interval,
      };
    }
    const snapshot = source.snapshot;
    if (args.check !== undefined && !snapshot.checks[args.check])
      throw new ToolError(
        `unknown check: ${args.check}; known: ${Object.keys(snapshot.checks).join(', ')}`,
        'UNKNOWN_CHECK',
      );
    const analysis = await analysisFromHistory({
      ...source,
      now,
      windowMs,
      ...(args.check ? { check: args.check } : {}),
    }).catch(fleetError);
    return { text: renderAnalysis(analysis, { verbose: args.verbose === true }), data: analysis };
  },
});
