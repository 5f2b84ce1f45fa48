import { z } from 'zod';
import { plural } from '../../shared/words.js';
import { hostCollectors, hostView, stateOf, ToolStats, type AnyHostCollector } from '../../monitor/schema.js';
import { formatBytes } from '../../shared/format.js';
import { defineTool, READ_ONLY } from './types.js';

/** The host collectors with a section here, in registry order; the daemon's own section comes last. */
const REPORTING = (hostCollectors as readonly AnyHostCollector[]).filter((c) => c.report);
const SECTIONS: [string, ...string[]] = [...REPORTING.map((c) => c.report!.section), 'daemon'] as never;
const FORMAT = { bytes: formatBytes };

const Daemon = z.object({
  pid: z.number().int(),
  uptimeSeconds: z.number(),
  rssBytes: z.number(),
  heapUsedBytes: z.number(),
  eventLoopDelaySeconds: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
  cpuUtilization: z.number().nullable().describe('share of one core'),
  openFds: z.number().int().nullable(),
  tools: ToolStats,
});
type Daemon = z.infer<typeof Daemon>;

const contents = [
  ...REPORTING.map((c) => c.report!.describes),
  'the mcp-vitals daemon itself (uptime, memory, event-loop delay, MCP tool calls, errors, error rate, ' +
    'latency p50/p95)',
];

export const getMetricsTool = defineTool({
  name: 'get_metrics',
  title: 'Host and daemon metrics',
  description:
    `Current figures for this machine in base units: ${contents.slice(0, -1).join(', ')}, and ${contents.at(-1)}. ` +
    'Use `sections` to ask for less. Read from the latest scheduled sample; no side effects.',
  input: z.object({
    sections: z
      .array(z.enum(SECTIONS))
      .min(1)
      .optional()
      .describe(`Subset of ${SECTIONS.join(', ')}; all when omitted.`),
  }),
  output: z.object({
    time: z.string(),
    hostname: z.string(),
    ...Object.fromEntries(REPORTING.map((c) => [c.report!.section, c.report!.schema.optional()])),
    daemon: Daemon.optional(),
  }),
  annotations: { title: 'Host and daemon metrics', ...READ_ONLY },
  async run(args, { monitor }) {
    await monitor.ready;
    const s = monitor.snapshot;
    const want = new Set<string>(args.sections ?? SECTIONS);
    const host = hostView(s);
    const lines = [`${s.hostname} at ${s.time}`];
    const data: Record<string, unknown> & { time: string; hostname: string; daemon?: Daemon } = {
      time: s.time,
      hostname: s.hostname,
    };
    for (const c of REPORTING) {
      const state = want.has(c.report!.section) ? stateOf(c, host) : undefined;
      if (!state) continue;
      const section = c.report!.data(state);
      data[c.report!.section] = section;
      lines.push(...c.report!.text(section, FORMAT));
    }
    const self = s.self;
    if (want.has('daemon') && self) {
      const t = s.tools;
      data.daemon = {
        pid: self.pid,
        uptimeSeconds: self.uptimeSeconds,
        rssBytes: self.rssBytes,
        heapUsedBytes: self.heapUsedBytes,
        eventLoopDelaySeconds: self.eventLoopDelaySeconds,
        cpuUtilization: self.cpuUtilization,
        openFds: self.openFds,
        tools: t,
      };
      const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
      const ms = (s: number) => `${(s * 1000).toFixed(1)}ms`;
      const refused = t.clientErrors ? ` (and ${t.clientErrors} refused as the caller's mistake)` : '';
      const rate = t.errorRate !== null ? `, error rate ${pct(t.errorRate)} over ${t.windowSeconds}s` : '';
      const { p50, p95 } = t.latencySeconds;
      const latency = p50 !== null ? `, p50 ${ms(p50)}, p95 ${ms(p95!)}` : '';
      lines.push(
        `Daemon: up ${Math.round(self.uptimeSeconds)}s, RSS ${formatBytes(self.rssBytes)}, ` +
          `${plural(t.calls, 'tool call')}, ${plural(t.errors, 'error')}${refused}${rate}${latency}`,
      );
    }
    return { text: lines.join('\n'), data };
  },
});
