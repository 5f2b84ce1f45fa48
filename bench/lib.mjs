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

export function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

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
    child.stdin.write(
      `${JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
      })}\n`,
    );
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
