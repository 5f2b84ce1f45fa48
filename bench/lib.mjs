// Small helpers shared by the bench scripts.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN;
};
export const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

/** Prints rows of [label, value, target?] as an aligned table. */
export function table(title, rows) {
  const w = Math.max(...rows.map((r) => String(r[0]).length));
  const v = Math.max(...rows.map((r) => String(r[1]).length));
  console.log(`\n${title}`);
  for (const [label, value, note] of rows)
    console.log(`  ${String(label).padEnd(w)}  ${String(value).padStart(v)}${note ? `   ${note}` : ''}`);
}

/** utime+stime of a process in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU time of every live thread of a process in ms, from /proc/<pid>/task/<tid>/schedstat (nanoseconds): fine
 * enough to time one request, where /proc/<pid>/stat counts in 10 ms ticks.
 */
export function cpuMs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

export function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** What every bench client sends as `initialize`, and that request as one stdio line (id 1). */
export const INITIALIZE_PARAMS = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'bench', version: '0' },
};
const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: INITIALIZE_PARAMS };
export const INITIALIZE_LINE = `${JSON.stringify(initialize)}\n`;

/** Spawns a stdio MCP server and resolves with ms until its `initialize` reply arrives. */
export function timeToInitialize(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, ...env } });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')}: no initialize reply in 10s`));
    }, 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('"id":1')) {
        const ms = performance.now() - started;
        clearTimeout(timer);
        child.stdin.end();
        child.kill('SIGTERM');
        resolve(ms);
      }
    });
    child.stdin.write(INITIALIZE_LINE);
  });
}

/** A loopback port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A spawned stdio MCP server after `initialize`: `call(method, params)` sends one request and resolves with
 * its ms to the reply (rejecting on a JSON-RPC error). Lines are newline-delimited JSON, as the spec frames them.
 */
export async function stdioSession(command, args, env = {}) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, ...env } });
  const pending = new Map();
  let nextId = 1;
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buffered += d;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const msg = line.trim() ? JSON.parse(line) : {};
      const waiter = pending.get(msg.id);
      if (!waiter) continue;
      pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`${waiter.method}: ${msg.error.message}`));
      else waiter.resolve(waiter.keep ? msg.result : performance.now() - waiter.started);
    }
  });
  const exited = new Promise((r) => child.once('exit', r));
  /** Resolves with the ms to the reply, or with the reply's result when `keep` is set. */
  const call = (method, params = {}, keep = false) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, method, keep, started: performance.now() });
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  await call('initialize', INITIALIZE_PARAMS);
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  return {
    call,
    pid: child.pid,
    close: async () => {
      child.stdin.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * `tools/call` latency over stdio for several servers, one process each, in alternating rounds of `perRound`
 * sequential calls so the machine's noise falls on all of them alike. `servers` is [label, command, args, env,
 * tool]; resolves with { label: [ms, ...] }. The first call of each (a daemon's tool may wait for its first
 * sample) is a warm-up, not counted.
 */
export async function stdioCallLatency(servers, { rounds = 10, perRound = 20 } = {}) {
  const sessions = [];
  for (const [label, command, args, env, tool] of servers)
    sessions.push({ label, tool, session: await stdioSession(command, args, env) });
  const times = Object.fromEntries(sessions.map((s) => [s.label, []]));
  try {
    for (const s of sessions) await s.session.call('tools/call', { name: s.tool, arguments: {} });
    for (let r = 0; r < rounds; r++)
      for (const s of sessions)
        for (let i = 0; i < perRound; i++)
          times[s.label].push(await s.session.call('tools/call', { name: s.tool, arguments: {} }));
  } finally {
    await Promise.all(sessions.map((s) => s.session.close()));
  }
  return times;
}

/**
 * CPU time of a process in ns, every thread's (/proc/<pid>/task/<tid>/schedstat): the 10 ms ticks of
 * /proc/<pid>/stat are too coarse for an idle daemon's few ms a second. Threads that exited are not counted.
 */
export function cpuNanos(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns;
}
