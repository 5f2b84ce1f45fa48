import { z } from 'zod';
import { NoDataError } from '../types.js';
import { defineHostCollector, type CollectorContext, type HostProbe } from './collector.js';
import { ProcFile } from './procfs.js';

// Linux pressure stall information (Documentation/accounting/psi.rst): per resource, the share of recent
// time in which some (or all non-idle) tasks waited for it, and the total stall time since boot.

const PressureLine = z.object({
  avg10: z.number().describe('share of the last 10 s with tasks stalled, 0..1'),
  avg60: z.number().describe('share of the last 60 s, 0..1'),
  avg300: z.number().describe('share of the last 300 s, 0..1'),
  stallSecondsTotal: z.number().describe('stall time since boot'),
});
type PressureLine = z.infer<typeof PressureLine>;

const PressureResource = z.object({
  some: PressureLine.describe('at least one task stalled'),
  full: PressureLine.optional().describe('all non-idle tasks stalled at once (absent for CPU)'),
});

export const PressureSample = z.object({
  cpu: PressureResource.optional(),
  memory: PressureResource.optional(),
  io: PressureResource.optional(),
});
export type PressureSample = z.infer<typeof PressureSample>;

const RESOURCES = ['cpu', 'memory', 'io'] as const;
type Resource = (typeof RESOURCES)[number];

/** One /proc/pressure file: `some avg10=1.50 avg60=0.40 avg300=0.10 total=123456` (µs), and a `full` line. */
export function parsePressure(text: string, resource: Resource): z.infer<typeof PressureResource> | undefined {
  const lines: Partial<Record<'some' | 'full', PressureLine>> = {};
  for (const line of text.split('\n')) {
    const m = /^(some|full) avg10=([\d.]+) avg60=([\d.]+) avg300=([\d.]+) total=(\d+)/.exec(line);
    if (!m) continue;
    lines[m[1] as 'some' | 'full'] = {
      avg10: Number(m[2]) / 100,
      avg60: Number(m[3]) / 100,
      avg300: Number(m[4]) / 100,
      stallSecondsTotal: Number(m[5]) / 1e6,
    };
  }
  if (!lines.some) return undefined;
  // The kernel prints a CPU `full` line since 5.13 only for the file's shape: system-wide it is undefined
  // and always zero (it means something for a cgroup's cpu.pressure), so it is not reported as a reading.
  return resource === 'cpu' || !lines.full ? { some: lines.some } : { some: lines.some, full: lines.full };
}

/** Errors that mean "this kernel has no PSI" (absent before 4.20 or without CONFIG_PSI; EOPNOTSUPP with psi=0). */
const UNSUPPORTED = new Set(['ENOENT', 'EOPNOTSUPP', 'ENOTSUP', 'EINVAL']);

/**
 * Reads the three small files each tick, each kept open and read again from offset 0 (`ProcFile`). Where PSI is
 * missing the collector says so once (a warning), then reports "no data here" without touching the files
 * again: the host tick neither fails nor pays for it.
 */
export class PressureCollector implements HostProbe<PressureSample> {
  readonly kind = 'pressure';
  private unavailable: string | undefined;
  private readonly files: Record<Resource, ProcFile>;

  constructor(
    private readonly procfs = '/proc',
    private readonly ctx?: CollectorContext,
  ) {
    // Two lines of ~80 bytes each.
    const file = (r: Resource) => new ProcFile(`${procfs}/pressure/${r}`, 512);
    this.files = { cpu: file('cpu'), memory: file('memory'), io: file('io') };
  }

  async run(signal: AbortSignal): Promise<PressureSample> {
    if (this.unavailable) throw new NoDataError(this.unavailable);
    const texts = await Promise.all(
      RESOURCES.map((r) =>
        this.files[r].read().catch((e: NodeJS.ErrnoException) => {
          if (!UNSUPPORTED.has(e.code ?? '')) throw e;
          return e.code!;
        }),
      ),
    );
    signal.throwIfAborted();
    const sample: PressureSample = {};
    RESOURCES.forEach((r, i) => {
      const parsed = texts[i]!.startsWith('some') ? parsePressure(texts[i]!, r) : undefined;
      if (parsed) sample[r] = parsed;
    });
    if (RESOURCES.some((r) => sample[r])) return sample;
    this.unavailable = `pressure stall information is not available here (${this.procfs}/pressure: ${texts[0]})`;
    this.ctx?.warn(
      { procfs: this.procfs },
      `${this.unavailable}; it needs Linux 4.20+ with CONFIG_PSI (and psi=1 where the kernel disables it by default)`,
    );
    await this.close();
    throw new NoDataError(this.unavailable);
  }

  async close(): Promise<void> {
    await Promise.all(RESOURCES.map((r) => this.files[r].close()));
  }
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const CHECK = {
  name: 'pressure:cpu',
  kind: 'pressure',
  component: 'cpu',
  measurement: 'pressure',
  threshold: 'cpuPressure',
} as const;

/** Each line of each resource, with the attributes its metrics carry. */
function* lines(s: PressureSample): Generator<[Resource, 'some' | 'full', PressureLine]> {
  for (const r of RESOURCES) {
    const res = s[r];
    if (!res) continue;
    yield [r, 'some', res.some];
    if (res.full) yield [r, 'full', res.full];
  }
}

export const collector = defineHostCollector({
  name: 'pressure',
  defaultEnabled: true,
  state: { pressure: PressureSample },
  toState: (pressure: PressureSample) => ({ pressure }),
  create: (paths, _options, ctx) => new PressureCollector(paths.procfs, ctx),
  metrics: {
    instruments: [
      {
        name: 'vitals.pressure.stall',
        kind: 'counter',
        unit: 's',
        description:
          'Time since boot in which some (stall="some") or all non-idle (stall="full") tasks waited for a resource ' +
          '(Linux PSI total).',
      },
      {
        name: 'vitals.pressure.stall.avg10',
        kind: 'gauge',
        unit: '1',
        description: 'Share of the last 10 seconds in which tasks waited for a resource (Linux PSI avg10).',
      },
    ],
    observe({ pressure }, emit) {
      for (const [resource, stall, line] of lines(pressure)) {
        emit('vitals.pressure.stall', line.stallSecondsTotal, { resource, stall });
        emit('vitals.pressure.stall.avg10', line.avg10, { resource, stall });
      }
    },
  },
  series: {
    families: [
      {
        family: 'pressure.some',
        unit: 'ratio',
        description: 'share of the last 10 s with some tasks waiting, per resource (cpu, memory, io), 0..1',
      },
      {
        family: 'pressure.full',
        unit: 'ratio',
        description: 'share of the last 10 s with every non-idle task waiting, per resource (memory, io), 0..1',
      },
    ],
    values: ({ pressure }) => [...lines(pressure)].map(([r, stall, line]) => [`pressure.${stall}:${r}`, line.avg10]),
  },
  // Some task waiting for a CPU a quarter of the time, for five minutes, is a host that needs more CPU.
  thresholds: { cpuPressure: { warn: 0.25, fail: 0.75, for: 300_000 } },
  checks: {
    judge: ({ pressure }) =>
      pressure.cpu
        ? [
            {
              ...CHECK,
              value: pressure.cpu.some.avg10,
              describe: (v) => `tasks waited for a CPU ${pct(v)} of the last 10s`,
            },
          ]
        : [],
    missing: () => [CHECK],
  },
  report: {
    section: 'pressure',
    describes: 'pressure stall shares per resource (Linux PSI: some and full, over 10 s, 1 and 5 min)',
    schema: PressureSample,
    data: ({ pressure }) => pressure,
    text: (p: PressureSample) => {
      const parts = RESOURCES.filter((r) => p[r]).map(
        (r) => `${r} ${pct(p[r]!.some.avg10)}${p[r]!.full ? `/${pct(p[r]!.full!.avg10)}` : ''}`,
      );
      return parts.length ? [`Pressure (some/full, last 10s): ${parts.join(', ')}`] : [];
    },
  },
});
