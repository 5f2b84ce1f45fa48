import type { Config } from '../config/schema.js';
import type { CheckState, CheckStatus, HostState, ToolStats } from './schema.js';
import { evaluateThreshold, type HoldState, type Threshold } from './thresholds.js';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const secs = (ms: number) => ms / 1000;

interface Held {
  status: CheckStatus;
  since: string;
  hold: HoldState;
  /** When the value first crossed the level now reported (the start of its `for:` hold). */
  problemSince?: string;
}

/** A status change: `from` is `unknown` for a check's first result; `startedAt` when it began before now. */
export type HostChange = (
  name: string,
  from: CheckStatus | 'unknown',
  to: CheckStatus,
  output: string,
  startedAt?: number,
) => void;

/**
 * Turns host samples and tool-call stats into threshold checks (`cpu`, `memory`, `disk:/mount`,
 * `tool_errors`), keeping each check's `for:` holds and the time its status last changed.
 */
export class HostChecks {
  private readonly held = new Map<string, Held>();

  constructor(private readonly thresholds: Config['host']['thresholds']) {}

  /**
   * `failed` names host collectors that failed this round (with the reason): their checks report warn with
   * no value ("cannot tell") instead of vanishing or keeping a stale number.
   */
  evaluate(
    host: HostState,
    tools: ToolStats,
    now: number,
    failed: Readonly<Record<string, string>>,
    onChange: HostChange,
  ): CheckState[] {
    const t = this.thresholds;
    const out: CheckState[] = [];
    const time = new Date(now).toISOString();
    const add = (
      base: {
        name: string;
        kind: string;
        group: 'host' | 'self';
        component: string;
        measurement: string;
        componentId?: string;
      },
      value: number | null,
      th: Threshold,
      describe: (v: number) => string,
      extra = '',
    ) => {
      const known = this.held.get(base.name);
      const prev = known ?? { status: 'pass' as CheckStatus, since: time, hold: {} };
      const r = evaluateThreshold(value, th, prev.hold, now);
      let output = '';
      if (value !== null && r.status !== 'pass')
        output =
          `${describe(value)} at or above ${r.status} level ${pct(r.status === 'fail' ? th.fail : th.warn)}` +
          `${th.for ? ` for ${secs(th.for)}s` : ''}` +
          `${extra}`;
      if (r.pending && value !== null) {
        const heldFor = Math.round((now - r.pending.since) / 1000);
        const note =
          `${describe(value)} above ${r.pending.status} level ${pct(r.pending.status === 'fail' ? th.fail : th.warn)}` +
          ` for ${heldFor}s of its ${secs(th.for)}s hold`;
        output = output ? `${output}; ${note}` : note;
      }
      const changed = !known || r.status !== prev.status;
      const since = changed ? time : prev.since;
      // A problem began when the value first crossed the level now reported, not when the hold matured.
      const crossed = r.status === 'fail' ? r.hold.failSince : r.status === 'warn' ? r.hold.warnSince : undefined;
      const problemSince = crossed === undefined ? undefined : new Date(crossed).toISOString();
      // A first result is a change from `unknown`, reported only when it is not a pass (as for dependencies).
      if (changed && (known || r.status !== 'pass'))
        onChange(
          base.name,
          known ? prev.status : 'unknown',
          r.status,
          output || 'back under threshold',
          crossed !== undefined && crossed < now ? crossed : undefined,
        );
      this.held.set(base.name, { status: r.status, since, hold: r.hold, ...(problemSince ? { problemSince } : {}) });
      out.push({
        ...base,
        status: r.status,
        critical: false,
        observedValue: value,
        observedUnit: 'ratio',
        threshold: { warn: th.warn, fail: th.fail, forSeconds: secs(th.for) },
        output,
        since,
        ...(problemSince ? { problemSince } : {}),
        time,
        ...(r.pending
          ? {
              pending: {
                status: r.pending.status,
                since: new Date(r.pending.since).toISOString(),
                forSeconds: secs(th.for),
              },
            }
          : {}),
      });
    };

    const unknown = (base: Parameters<typeof add>[0], th: Threshold, reason: string) => {
      const known = this.held.get(base.name);
      const output = `no current sample: ${reason}`;
      const changed = known?.status !== 'warn';
      const since = changed ? time : known!.since;
      if (changed) onChange(base.name, known ? known.status : 'unknown', 'warn', output);
      this.held.set(base.name, {
        status: 'warn',
        since,
        hold: {},
        problemSince: changed ? time : (known!.problemSince ?? time),
      });
      out.push({
        ...base,
        status: 'warn',
        critical: false,
        observedValue: null,
        observedUnit: 'ratio',
        threshold: { warn: th.warn, fail: th.fail, forSeconds: secs(th.for) },
        output,
        since,
        problemSince: changed ? time : (known!.problemSince ?? time),
        time,
      });
    };
    const CPU = { name: 'cpu', kind: 'cpu', group: 'host', component: 'cpu', measurement: 'utilization' } as const;
    const MEMORY = {
      name: 'memory',
      kind: 'memory',
      group: 'host',
      component: 'memory',
      measurement: 'utilization',
    } as const;
    if (host.cpu) add(CPU, host.cpu.utilization, t.cpu, (v) => `CPU ${pct(v)} busy`);
    else if (failed.cpu) unknown(CPU, t.cpu, failed.cpu);
    if (host.memory) add(MEMORY, host.memory.utilization, t.memory, (v) => `memory ${pct(v)} used`);
    else if (failed.memory) unknown(MEMORY, t.memory, failed.memory);
    const disk = (mountpoint: string) =>
      ({
        name: `disk:${mountpoint}`,
        kind: 'disk',
        group: 'host',
        component: 'disk',
        measurement: 'utilization',
        componentId: mountpoint,
      }) as const;
    for (const e of host.filesystemErrors ?? []) unknown(disk(e.mountpoint), t.disk, e.error);
    // The whole collector failed: every disk seen before is unknown now, not gone.
    if (failed.filesystem && !host.filesystems)
      for (const name of this.held.keys())
        if (name.startsWith('disk:')) unknown(disk(name.slice(5)), t.disk, failed.filesystem);
    for (const fs of host.filesystems ?? []) {
      // Running out of inodes fills a disk as surely as running out of bytes.
      const inodes = fs.inodesUtilization ?? 0;
      const byInodes = inodes > fs.utilization;
      add(
        {
          name: `disk:${fs.mountpoint}`,
          kind: 'disk',
          group: 'host',
          component: 'disk',
          measurement: 'utilization',
          componentId: fs.mountpoint,
        },
        Math.max(fs.utilization, inodes),
        t.disk,
        (v) => `${fs.mountpoint} ${pct(v)} ${byInodes ? 'of inodes' : 'full'}`,
      );
    }
    const te = t.toolErrorRate;
    const rate = tools.callsInWindow >= te.minCalls ? tools.errorRate : null;
    add(
      { name: 'tool_errors', kind: 'tool_errors', group: 'self', component: 'mcp-tools', measurement: 'errorRate' },
      rate,
      te,
      (v) => `${pct(v)} of ${tools.callsInWindow} tool calls in the last ${te.window / 1000}s failed`,
    );
    // Mounts that vanished take their holds with them.
    const live = new Set(out.map((c) => c.name));
    for (const name of this.held.keys()) if (!live.has(name)) this.held.delete(name);
    return out;
  }
}
