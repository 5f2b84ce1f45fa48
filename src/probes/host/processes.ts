import { readdir, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseMeminfo, readProc } from './procfs.js';

/** Kernel USER_HZ: the unit of utime/stime in /proc/[pid]/stat; 100 on every Linux ABI Node runs on. */
const CLK_TCK = 100;

/** One process as the sampler reads it: what top_processes returns and the store captures. */
export const ProcessRow = z.object({
  pid: z.number().int(),
  name: z.string().describe('command name from /proc/[pid]/stat (no arguments: they can hold secrets)'),
  user: z.string(),
  cpuPercent: z
    .number()
    .describe('share of one core over the sampling interval, in percent (can exceed 100 on several cores)'),
  rssBytes: z.number(),
  memoryRatio: z.number().describe('RSS / total memory, 0..1'),
});
export type ProcessRow = z.infer<typeof ProcessRow>;

interface StatReading {
  name: string;
  ticks: number;
  /** Start time in ticks since boot: tells a reused pid from the process seen before. */
  start: number;
  rssPages: number;
}

/** Fields of /proc/[pid]/stat after the command name, which is in parentheses and may contain spaces or ')'. */
function parseStat(text: string): StatReading | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22, rss 24.
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { name: text.slice(open + 1, close), ticks: utime + stime, start: Number(f[19]), rssPages: Number(f[21]) };
}

function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid)) out.set(Number(uid), name);
  }
  return out;
}

/**
 * Top processes by CPU or memory, read straight from /proc/[pid]/stat and status (no `ps` fork). CPU needs
 * two readings: the previous call's is reused when it is recent, otherwise a second one is taken after
 * `intervalMs`. Results are cached for `cacheMs`, and concurrent callers share one sampling. Process
 * arguments are never read: command lines often carry passwords and tokens.
 */
export class ProcessSampler {
  private prev: { at: number; stats: Map<number, StatReading> } | undefined;
  private cached: { at: number; rows: ProcessRow[] } | undefined;
  private inflight: Promise<ProcessRow[]> | undefined;
  private users: Map<number, string> | undefined;

  constructor(
    private readonly options: {
      procfs?: string;
      passwd?: string;
      intervalMs?: number;
      cacheMs?: number;
      clock?: () => number;
    } = {},
  ) {}

  private get root(): string {
    return this.options.procfs ?? '/proc';
  }

  /** Every process, sorted by CPU; cached for `cacheMs`. */
  sample(): Promise<ProcessRow[]> {
    const now = (this.options.clock ?? Date.now)();
    if (this.cached && now - this.cached.at < (this.options.cacheMs ?? 5000)) return Promise.resolve(this.cached.rows);
    this.inflight ??= this.take().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  async top(n: number, by: 'cpu' | 'memory'): Promise<{ rows: ProcessRow[]; total: number; sampledAt: number }> {
    const rows = await this.sample();
    const sorted =
      by === 'cpu' ? rows : [...rows].sort((a, b) => b.rssBytes - a.rssBytes || b.cpuPercent - a.cpuPercent);
    return { rows: sorted.slice(0, n), total: rows.length, sampledAt: this.cached?.at ?? Date.now() };
  }

  private async readAll(): Promise<Map<number, StatReading>> {
    const pids = (await readdir(this.root)).filter((d) => /^\d+$/.test(d)).map(Number);
    const out = new Map<number, StatReading>();
    // Processes exit between readdir and read: a missing file is not an error.
    await Promise.all(
      pids.map(async (pid) => {
        const s = await readProc(this.root, `${pid}/stat`).then(parseStat, () => undefined);
        if (s) out.set(pid, s);
      }),
    );
    return out;
  }

  private async take(): Promise<ProcessRow[]> {
    const interval = this.options.intervalMs ?? 500;
    let first = this.prev;
    // A reading older than 30 s would average CPU over too long to say what is busy now.
    if (!first || performance.now() - first.at > 30_000) {
      first = { at: performance.now(), stats: await this.readAll() };
      await new Promise((r) => setTimeout(r, interval));
    }
    const at = performance.now();
    const stats = await this.readAll();
    this.prev = { at, stats };
    const seconds = (at - first.at) / 1000;
    const memTotal = await readProc(this.root, 'meminfo').then(
      (t) => parseMeminfo(t).get('MemTotal') || 0,
      () => 0,
    );
    const users = await this.userNames();
    const rows: ProcessRow[] = [];
    const ranked = [...stats.entries()].map(([pid, s]) => {
      const p = first.stats.get(pid);
      const ticks = p && p.start === s.start ? s.ticks - p.ticks : s.ticks;
      // A process born between the readings: its whole life fits in the interval.
      return { pid, s, cpuPercent: seconds > 0 ? Math.max(0, (ticks / CLK_TCK / seconds) * 100) : 0 };
    });
    ranked.sort((a, b) => b.cpuPercent - a.cpuPercent || b.s.rssPages - a.s.rssPages);
    // Owner and exact RSS come from status; read for every process so the memory ranking is exact too.
    const statuses = await Promise.all(ranked.map((r) => readProc(this.root, `${r.pid}/status`).catch(() => '')));
    for (const [i, r] of ranked.entries()) {
      const status = statuses[i]!;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
      const rssKb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
      const rssBytes = rssKb !== undefined ? Number(rssKb) * 1024 : 0;
      rows.push({
        pid: r.pid,
        name: r.s.name,
        user: Number.isFinite(uid) ? (users.get(uid) ?? String(uid)) : '?',
        cpuPercent: Math.round(r.cpuPercent * 10) / 10,
        rssBytes,
        memoryRatio: memTotal > 0 ? rssBytes / memTotal : 0,
      });
    }
    this.cached = { at: (this.options.clock ?? Date.now)(), rows };
    return rows;
  }

  private async userNames(): Promise<Map<number, string>> {
    this.users ??= await readFile(this.options.passwd ?? '/etc/passwd', 'utf8').then(parsePasswd, () => new Map());
    return this.users;
  }
}
