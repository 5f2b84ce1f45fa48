import type { CheckStatus, HealthEvent } from '../monitor/schema.js';
import { verdictOfRank } from '../shared/status.js';
import { alignDown, chooseStep } from '../store/aggregate.js';
import { parseSeries, seriesName, unitOf } from '../store/series.js';
import {
  UnknownSeriesError,
  type History,
  type HistoryQuery,
  type HistoryResult,
  type SeriesInfo,
  type SeriesPoint,
} from '../store/types.js';
import { FleetError } from './http.js';
import { promString, type PrometheusClient } from './prometheus.js';

/**
 * The local history's series names, read from Prometheus for one instance. Each maps to an instant PromQL
 * expression over what the daemon exports (`system_*`, `process_*`, `vitals_*`); a plain selector is read
 * sample by sample, an expression (CPU busy share, network rates) through a subquery.
 */
interface SeriesExpr {
  expr: string;
  /** True for a plain selector: `*_over_time(expr[w])` sees every raw sample. */
  selector: boolean;
}

const CPU_BUSY = (sel: string) => `1 - sum(system_cpu_utilization_ratio{${sel},cpu_mode=~"idle|iowait"})`;

function seriesExpr(series: string, instance: string): SeriesExpr | undefined {
  const sel = `instance=${promString(instance)}`;
  const { family, instance: part } = parseSeries(series);
  const q = (v: string | undefined) => promString(v ?? '');
  const plain = (expr: string): SeriesExpr => ({ expr, selector: true });
  const hostValue = (check: string): SeriesExpr | undefined => {
    if (check === 'cpu') return { expr: CPU_BUSY(sel), selector: false };
    if (check === 'memory') return plain(`system_memory_utilization_ratio{${sel},system_memory_state="used"}`);
    if (check.startsWith('disk:'))
      return plain(
        `system_filesystem_utilization_ratio{${sel},system_filesystem_state="used",` +
          `system_filesystem_mountpoint=${q(check.slice(5))}}`,
      );
    return undefined;
  };
  switch (family) {
    case 'cpu.utilization':
      return { expr: CPU_BUSY(sel), selector: false };
    case 'memory.utilization':
      return hostValue('memory');
    case 'swap.utilization':
      return plain(`system_paging_utilization_ratio{${sel},system_paging_state="used"}`);
    case 'load.1m':
      return plain(`system_cpu_load_average_1m{${sel}}`);
    case 'disk.utilization':
      return part === undefined ? undefined : hostValue(`disk:${part}`);
    case 'network.receive':
    case 'network.transmit':
      if (part === undefined) return undefined;
      return {
        expr:
          `sum(rate(system_network_io_bytes_total{${sel},network_interface_name=${q(part)},` +
          `network_io_direction="${family.slice(8)}"}[1m]))`,
        selector: false,
      };
    case 'self.rss':
      return plain(`process_memory_usage_bytes{${sel}}`);
    case 'check.status':
      return part === undefined ? undefined : plain(`vitals_check_status{${sel},check=${q(part)}}`);
    case 'check.latency':
      return part === undefined ? undefined : plain(`vitals_check_latency_seconds{${sel},check=${q(part)}}`);
    case 'check.value':
      return part === undefined ? undefined : hostValue(part);
    default:
      return undefined;
  }
}

/** Metrics (with at most one pinned label) whose series name the local series an instance has. */
interface Discovery {
  metric: string;
  pin?: [label: string, value: string];
  names: (labels: Record<string, string>) => string[];
}
const DISCOVERY: Discovery[] = [
  {
    metric: 'system_cpu_utilization_ratio',
    pin: ['cpu_mode', 'idle'],
    names: () => ['cpu.utilization', 'check.value:cpu'],
  },
  {
    metric: 'system_memory_utilization_ratio',
    pin: ['system_memory_state', 'used'],
    names: () => ['memory.utilization', 'check.value:memory'],
  },
  {
    metric: 'system_paging_utilization_ratio',
    pin: ['system_paging_state', 'used'],
    names: () => ['swap.utilization'],
  },
  { metric: 'system_cpu_load_average_1m', names: () => ['load.1m'] },
  {
    metric: 'system_filesystem_utilization_ratio',
    pin: ['system_filesystem_state', 'used'],
    names: (l) => [
      seriesName('disk.utilization', l.system_filesystem_mountpoint),
      seriesName('check.value', `disk:${l.system_filesystem_mountpoint}`),
    ],
  },
  {
    metric: 'system_network_io_bytes_total',
    pin: ['network_io_direction', 'receive'],
    names: (l) => [
      seriesName('network.receive', l.network_interface_name),
      seriesName('network.transmit', l.network_interface_name),
    ],
  },
  { metric: 'process_memory_usage_bytes', names: () => ['self.rss'] },
  { metric: 'vitals_check_status', names: (l) => [seriesName('check.status', l.check)] },
  { metric: 'vitals_check_latency_seconds', names: (l) => [seriesName('check.latency', l.check)] },
];
const discoverySelector = (d: Discovery, sel: string) =>
  `${d.metric}{${sel}${d.pin ? `,${d.pin[0]}=${promString(d.pin[1])}` : ''}}`;

const STAT = (name: string, expr: string) => `label_replace(${expr}, "stat", "${name}", "", "")`;
/** `fn(arg, (expr)[range])`, or over a subquery `[range:res]` when the expression is not a plain selector. */
const over = (fn: string, e: SeriesExpr, rangeMs: number, resMs: number, arg?: string) =>
  `${fn}(${arg !== undefined ? `${arg}, ` : ''}${e.selector ? e.expr : `(${e.expr})`}` +
  `[${Math.max(1, Math.round(rangeMs / 1000))}` +
  `s${e.selector ? '' : `:${Math.max(1, Math.round(resMs / 1000))}s`}])`;
/** Transitions whose time is refined to 1 s when the window's step is coarser. */
const REFINE_MAX = 20;
const statusOf = verdictOfRank;

/** The error for an instance Prometheus has no mcp-vitals series of, listing those it has. */
export async function unknownInstance(prom: PrometheusClient, instance: string): Promise<FleetError> {
  const instances = (
    await prom.query('count by (instance) (last_over_time(target_info{service_name="mcp-vitals"}[1h]))')
  )
    .map((r) => r.metric.instance!)
    .sort();
  return new FleetError(
    'FLEET_UNKNOWN_NAME',
    `Prometheus has no mcp-vitals series for instance "${instance}". Instances seen in the last hour (` +
      `${instances.length}` +
      `): ${instances.slice(0, 30).join(', ')}${instances.length > 30 ? ', …' : ''}`,
  );
}

/**
 * One instance's history as the local store would answer it, from Prometheus: the same result shape
 * (summary min/avg/p95/max/last/trend and ≤ maxPoints min/avg/max points), so tools and the analysis read
 * either without knowing which. Two requests per query: one for the summary, one for the points.
 */
export class RemoteHistory implements Pick<History, 'query' | 'series' | 'events' | 'processesNear'> {
  constructor(
    private readonly prom: PrometheusClient,
    readonly instance: string,
    /** Subquery resolution for expressions, about the scrape interval. */
    private readonly resolutionMs = 15_000,
  ) {}

  private get sel(): string {
    return `instance=${promString(this.instance)}`;
  }

  async query(q: HistoryQuery): Promise<HistoryResult> {
    const e = seriesExpr(q.series, this.instance);
    if (!e) throw await this.notFound(q.series);
    const windowMs = Math.max(1000, q.to - q.from);
    const { stepMs, adjusted } = chooseStep(windowMs, 1000, q.maxPoints ?? 120, q.step);
    // Subquery points at least ~2 per step, never finer than the scrape interval.
    const resMs = Math.min(this.resolutionMs, stepMs);
    const summaryExpr = [
      STAT('count', `sum(${over('count_over_time', e, windowMs, resMs)})`),
      STAT('min', `min(${over('min_over_time', e, windowMs, resMs)})`),
      STAT('avg', `avg(${over('avg_over_time', e, windowMs, resMs)})`),
      STAT('max', `max(${over('max_over_time', e, windowMs, resMs)})`),
      STAT('p95', `max(${over('quantile_over_time', e, windowMs, resMs, '0.95')})`),
      STAT('last', `max(${over('last_over_time', e, windowMs, resMs)})`),
      STAT('trend', `avg(${over('deriv', e, windowMs, resMs)}) * 3600`),
    ].join(' or ');
    const first = alignDown(q.from, stepMs);
    const last = alignDown(q.to, stepMs);
    const pointsExpr = [
      STAT('min', `min(${over('min_over_time', e, stepMs, resMs)})`),
      STAT('avg', `avg(${over('avg_over_time', e, stepMs, resMs)})`),
      STAT('max', `max(${over('max_over_time', e, stepMs, resMs)})`),
      STAT('count', `sum(${over('count_over_time', e, stepMs, resMs)})`),
      // The newest sample's own time at each step end: the last counted step gives the summary's lastTime.
      ...(e.selector ? [STAT('time', `max(timestamp(${e.expr}))`)] : []),
    ].join(' or ');
    const [summaryRows, rangeRows] = await Promise.all([
      this.prom.query(summaryExpr, q.to),
      this.prom.queryRange(pointsExpr, first + stepMs, last + stepMs, stepMs),
    ]);
    const stat = new Map(summaryRows.map((r) => [r.metric.stat!, Number(r.value[1])]));
    const byStat = new Map(
      rangeRows.map((r) => [r.metric.stat!, new Map(r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]))]),
    );
    const points: SeriesPoint[] = [];
    let lastSampleTime = -Infinity;
    let firstSampleTime = Infinity;
    for (const [t, count] of byStat.get('count') ?? []) {
      if (!(count > 0)) continue;
      const start = t - stepMs;
      points.push({
        time: new Date(start).toISOString(),
        min: byStat.get('min')?.get(t) ?? NaN,
        avg: byStat.get('avg')?.get(t) ?? NaN,
        max: byStat.get('max')?.get(t) ?? NaN,
        count: Math.round(count),
      });
      const newest = Math.min(q.to, (byStat.get('time')?.get(t) ?? 0) * 1000 || t);
      lastSampleTime = Math.max(lastSampleTime, newest);
      // The first sample is no later than the newest one of the first step that has any (a span never overstated).
      firstSampleTime = Math.min(firstSampleTime, newest);
    }
    points.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const count = stat.get('count') ?? 0;
    // No sample: a series (or an instance) Prometheus does not have is named as such, as the local store does.
    if (count === 0) {
      const known = await this.series(Math.max(3_600_000, Date.now() - q.from));
      if (!known.some((k) => k.name === q.series)) throw await this.notFound(q.series, known);
    }
    const lastTime = Number.isFinite(lastSampleTime) ? lastSampleTime : q.to;
    const trend = stat.get('trend');
    return {
      series: q.series,
      unit: unitOf(q.series),
      resolution: 'raw',
      from: first,
      to: q.to,
      stepMs,
      stepAdjusted: adjusted,
      summary:
        count > 0
          ? {
              count: Math.round(count),
              min: stat.get('min')!,
              avg: stat.get('avg')!,
              // quantile_over_time is exact over raw samples; over a subquery it is over evaluated points.
              p95: stat.get('p95')!,
              p95Estimated: !e.selector,
              max: stat.get('max')!,
              last: stat.get('last')!,
              firstTime: new Date(Number.isFinite(firstSampleTime) ? firstSampleTime : lastTime).toISOString(),
              lastTime: new Date(lastTime).toISOString(),
              trendPerHour: trend !== undefined && Number.isFinite(trend) && count >= 2 ? trend : null,
            }
          : null,
      points,
    };
  }

  /** The error for a series this instance lacks, or for an instance Prometheus has never seen (with those it has). */
  private async notFound(series: string, known?: SeriesInfo[]): Promise<Error> {
    const names = (known ?? (await this.series())).map((s) => s.name);
    if (names.length) return new UnknownSeriesError(series, names);
    return unknownInstance(this.prom, this.instance);
  }

  /** The series this instance has in Prometheus (over the last `lookbackMs`), under the local names. */
  async series(lookbackMs = 3_600_000): Promise<SeriesInfo[]> {
    const now = Date.now();
    const rows = await this.prom.series(
      DISCOVERY.map((d) => discoverySelector(d, this.sel)),
      now - lookbackMs,
      now,
    );
    const names = new Set<string>();
    for (const labels of rows) {
      const d = DISCOVERY.find((x) => x.metric === labels.__name__ && (!x.pin || labels[x.pin[0]] === x.pin[1]));
      for (const n of d?.names(labels) ?? []) names.add(n);
    }
    return [...names].sort().map((name) => ({ name, unit: unitOf(name) }));
  }

  /** Process tables stay on their host: none are exported. */
  processesNear(): undefined {
    return undefined;
  }

  /** The latest reported status of each of this instance's checks (or one). */
  async checkStatus(check?: string): Promise<Map<string, CheckStatus>> {
    const rows = await this.prom.query(
      `vitals_check_status{${this.sel}${check !== undefined ? `,check=${promString(check)}` : ''}}`,
    );
    return new Map(rows.map((r) => [r.metric.check!, statusOf(Number(r.value[1]))]));
  }

  /**
   * Status transitions of this instance's checks, newest first, read off `vitals_check_status`. Over a long
   * window the step is coarse (at most 10,000 points a series), so each step also carries the min and max of
   * its samples: a step where they differ, or whose value differs from the step before, holds a change, and
   * the newest such steps are read again at 1 s for the exact times (breaker changes are not exported).
   */
  async events(q: { sinceMs?: number; untilMs?: number; check?: string; limit?: number } = {}): Promise<HealthEvent[]> {
    const to = q.untilMs ?? Date.now();
    const from = q.sinceMs ?? to - 3_600_000;
    const stepMs = Math.max(1000, Math.ceil((to - from) / 10_000 / 1000) * 1000);
    const sel = `vitals_check_status{${this.sel}${q.check !== undefined ? `,check=${promString(q.check)}` : ''}}`;
    const range = `${Math.round(stepMs / 1000)}s`;
    const rows = await this.prom.queryRange(
      stepMs > 1000
        ? [
            STAT('value', sel),
            STAT('min', `min_over_time(${sel}[${range}])`),
            STAT('max', `max_over_time(${sel}[${range}])`),
          ].join(' or ')
        : STAT('value', sel),
      from,
      to,
      stepMs,
    );
    const byCheck = new Map<string, Map<string, Map<number, number>>>();
    for (const r of rows) {
      const c = byCheck.get(r.metric.check!) ?? byCheck.set(r.metric.check!, new Map()).get(r.metric.check!)!;
      c.set(r.metric.stat!, new Map(r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)])));
    }
    const out: HealthEvent[] = [];
    const changed: { check: string; t: number; before: CheckStatus | undefined }[] = [];
    for (const [check, stats] of byCheck) {
      let prev: CheckStatus | undefined;
      for (const [t, v] of [...(stats.get('value') ?? [])].sort((x, y) => x[0] - y[0])) {
        const s = statusOf(v);
        const inside = stepMs > 1000 && stats.get('min')?.get(t) !== stats.get('max')?.get(t);
        if (inside || (prev !== undefined && s !== prev)) changed.push({ check, t, before: prev });
        if (!inside && prev !== undefined && s !== prev) out.push(this.event(check, t, prev, s, stepMs));
        prev = s;
      }
    }
    // The newest changes read again at 1 s: exact times, and changes that came and went inside one step.
    if (stepMs > 1000) {
      const refine = changed.sort((x, y) => y.t - x.t).slice(0, REFINE_MAX);
      const exact = await Promise.all(refine.map((c) => this.exactChanges(c.check, c.t - stepMs, c.t, c.before)));
      const refined = new Set(refine.map((c) => `${c.check}@${c.t}`));
      for (let i = out.length - 1; i >= 0; i--)
        if (refined.has(`${out[i]!.check}@${Date.parse(out[i]!.time)}`)) out.splice(i, 1);
      out.push(...exact.flat());
    }
    out.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    return out.slice(0, q.limit ?? out.length);
  }

  private event(check: string, t: number, from: CheckStatus, to: CheckStatus, precisionMs: number): HealthEvent {
    return {
      time: new Date(t).toISOString(),
      check,
      type: 'status',
      from,
      to,
      reason: `seen in Prometheus (to within ${Math.round(precisionMs / 1000)}s)`,
    };
  }

  /** Every change of one check in (from, to] at 1 s, starting from the status it had before. */
  private async exactChanges(
    check: string,
    from: number,
    to: number,
    before: CheckStatus | undefined,
  ): Promise<HealthEvent[]> {
    const rows = await this.prom
      .queryRange(`vitals_check_status{${this.sel},check=${promString(check)}}`, from + 1000, to, 1000)
      .catch(() => []);
    const out: HealthEvent[] = [];
    let prev = before;
    for (const [t, v] of rows[0]?.values ?? []) {
      const s = statusOf(Number(v));
      if (prev !== undefined && s !== prev) out.push(this.event(check, Math.round(t * 1000), prev, s, 1000));
      prev = s;
    }
    return out;
  }
}
