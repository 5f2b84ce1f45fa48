import type { Config } from '../config/schema.js';
import type { CheckState, CheckStatus, HostState, ToolStats } from './schema.js';
import { evaluateThreshold, type HoldState, type Threshold } from './thresholds.js';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const secs = (ms: number) => ms / 1000;

interface Held {
  status: CheckStatus;
  since: string;
  hold: HoldState;
}

/**
 * Turns host samples and tool-call stats into threshold checks (`cpu`, `memory`, `disk:/mount`,
 * `tool_errors`), keeping each check's `for:` holds and the time its status last changed.
 */
export class HostChecks {
  private readonly held = new Map<string, Held>();

  constructor(private readonly thresholds: Config['host']['thresholds']) {}

  evaluate(host: HostState, tools: ToolStats, now: number, onChange: (name: string, from: CheckStatus, to: CheckStatus, output: string) => void): CheckState[] {
    const t = this.thresholds;
    const out: CheckState[] = [];
    const time = new Date(now).toISOString();
    const add = (base: { name: string; kind: string; group: 'host' | 'self'; component: string; measurement: string; componentId?: string }, value: number | null, th: Threshold, describe: (v: number) => string, extra = '') => {
      const prev = this.held.get(base.name) ?? { status: 'pass' as CheckStatus, since: time, hold: {} };
      const r = evaluateThreshold(value, th, prev.hold, now);
      let output = '';
      if (value !== null && r.status !== 'pass') output = `${describe(value)} at or above ${r.status} level ${pct(r.status === 'fail' ? th.fail : th.warn)}${th.for ? ` for ${secs(th.for)}s` : ''}${extra}`;
      if (r.pending && value !== null) {
        const heldFor = Math.round((now - r.pending.since) / 1000);
        const note = `${describe(value)} above ${r.pending.status} level ${pct(r.pending.status === 'fail' ? th.fail : th.warn)} for ${heldFor}s of ${secs(th.for)}s (pending)`;
        output = output ? `${output}; ${note}` : note;
      }
      const since = r.status !== prev.status ? time : prev.since;
      if (r.status !== prev.status && this.held.has(base.name)) onChange(base.name, prev.status, r.status, output || 'back under threshold');
      this.held.set(base.name, { status: r.status, since, hold: r.hold });
      out.push({
        ...base,
        status: r.status,
        critical: false,
        observedValue: value,
        observedUnit: 'ratio',
        threshold: { warn: th.warn, fail: th.fail, forSeconds: secs(th.for) },
        output,
        since,
        time,
        ...(r.pending ? { pending: { status: r.pending.status, since: new Date(r.pending.since).toISOString(), forSeconds: secs(th.for) } } : {}),
      });
    };

    if (host.cpu) add({ name: 'cpu', kind: 'cpu', group: 'host', component: 'cpu', measurement: 'utilization' }, host.cpu.utilization, t.cpu, (v) => `CPU ${pct(v)} busy`);
    if (host.memory) add({ name: 'memory', kind: 'memory', group: 'host', component: 'memory', measurement: 'utilization' }, host.memory.utilization, t.memory, (v) => `memory ${pct(v)} used`);
    for (const fs of host.filesystems ?? []) {
      // Running out of inodes fills a disk as surely as running out of bytes.
      const inodes = fs.inodesUtilization ?? 0;
      const byInodes = inodes > fs.utilization;
      add(
        { name: `disk:${fs.mountpoint}`, kind: 'disk', group: 'host', component: 'disk', measurement: 'utilization', componentId: fs.mountpoint },
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
