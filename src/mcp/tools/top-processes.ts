import { z } from 'zod';
import { formatSeriesValue } from '../../store/series.js';
import { ProcessRow } from '../../monitor/schema.js';
import { defineTool, READ_ONLY, ToolError } from './types.js';

/**
 * The one tool that samples on request. A process table is large and changes every second, so it is not
 * kept on the monitor's schedule; reading /proc on demand, with a 5 s cache shared by every caller, costs
 * a fraction of a scheduled scan and answers with what is running now.
 */
export const topProcessesTool = defineTool({
  name: 'top_processes',
  title: 'Top processes',
  description:
    'The processes using the most CPU or memory right now: name, pid, user, CPU % (of one core, measured over about ' +
    'half a second) and resident memory. Use it when CPU or memory is high to see who is responsible. Read ' +
    'from /proc ' +
    'on demand and cached for 5 seconds; command-line arguments are never shown (they can hold secrets).',
  input: z.object({
    by: z.enum(['cpu', 'memory']).default('cpu').describe('Rank by CPU share or by resident memory.'),
    limit: z.number().int().min(1).max(50).default(10),
  }),
  output: z.object({
    sampledAt: z.string(),
    by: z.enum(['cpu', 'memory']),
    totalProcesses: z.number().int(),
    processes: z.array(ProcessRow),
  }),
  annotations: { title: 'Top processes', ...READ_ONLY, idempotentHint: false },
  async run(args, { processes }) {
    if (!processes) throw new ToolError('process sampling is not available in this process', 'NOT_AVAILABLE');
    const { rows, total, sampledAt } = await processes.top(args.limit, args.by);
    const text = [
      `Top ${rows.length} of ${total} processes by ${args.by === 'cpu' ? 'CPU' : 'memory'}` +
        ` at ${new Date(sampledAt).toISOString()}:`,
      ...rows.map(
        (p) =>
          `- ${p.name} (pid ${p.pid}, ${p.user}): CPU ${p.cpuPercent.toFixed(1)}` +
          `%, RSS ${formatSeriesValue(p.rssBytes, 'By')}` +
          ` (${(p.memoryRatio * 100).toFixed(1)}% of memory)`,
      ),
    ].join('\n');
    return {
      text,
      data: { sampledAt: new Date(sampledAt).toISOString(), by: args.by, totalProcesses: total, processes: rows },
    };
  },
});
