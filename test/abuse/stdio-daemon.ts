import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeConfig } from '../support/cli.js';
import { CLI } from '../support/paths.js';

/** A `vitals serve --stdio` daemon on raw pipes: what a hostile or careless client can write, byte for byte. */
export interface StdioDaemon {
  child: ChildProcessWithoutNullStreams;
  /** Every stdout line so far, parsed (a line that is not JSON is kept as a string, which a test should flag). */
  lines: unknown[];
  stderr(): string;
  write(text: string): Promise<void>;
  /** Sends a request and waits for the response with its id. */
  call(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<any>;
  waitFor(pred: (m: any) => boolean, what: string, timeoutMs?: number): Promise<any>;
  exited: Promise<number | null>;
  /** Stops reading stdout (a slow client) until resume(). */
  pause(): void;
  resume(): void;
}

export async function startStdioDaemon(config?: string, env: NodeJS.ProcessEnv = {}): Promise<StdioDaemon> {
  const args = [CLI, 'serve', '--stdio', ...(config !== undefined ? ['--config', writeConfig(config)] : [])];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, VITALS_LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: unknown[] = [];
  const waiters = new Set<{ pred: (m: any) => boolean; resolve: (m: any) => void }>();
  let stderr = '';
  let buf = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let m: unknown = text;
      try {
        m = JSON.parse(text);
      } catch {
        /* kept as text */
      }
      lines.push(m);
      for (const w of waiters) if (w.pred(m)) waiters.delete(w), w.resolve(m);
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitFor = (pred: (m: any) => boolean, what: string, timeoutMs = 15_000) => {
    const found = lines.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<any>((resolve, reject) => {
      const w = { pred, resolve: (m: any) => (clearTimeout(t), resolve(m)) };
      const t = setTimeout(
        () => (
          waiters.delete(w), reject(new Error(`no ${what} within ${timeoutMs} ms\nstderr:\n${stderr.slice(-2000)}`))
        ),
        timeoutMs,
      );
      waiters.add(w);
    });
  };
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => child.stdin.write(text, (e) => (e ? reject(e) : resolve())));
  let nextId = 1_000_000;
  const call = async (method: string, params?: Record<string, unknown>, timeoutMs?: number) => {
    const id = nextId++;
    const answered = waitFor((m) => m?.id === id, `answer to ${method} #${id}`, timeoutMs);
    await write(`${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })}\n`);
    return answered;
  };
  const d: StdioDaemon = {
    child,
    lines,
    stderr: () => stderr,
    write,
    call,
    waitFor,
    exited,
    pause: () => child.stdout.pause(),
    resume: () => child.stdout.resume(),
  };
  const init = await call(
    'initialize',
    { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'abuse', version: '1' } },
    20_000,
  );
  if (!init.result) throw new Error(`initialize failed: ${JSON.stringify(init)}`);
  await write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  return d;
}

/** stderr lines that are not JSON log lines (a Node warning printed as text, a stack trace). */
export function nonJsonLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => {
    if (!l.trim()) return false;
    try {
      return typeof JSON.parse(l) !== 'object';
    } catch {
      return true;
    }
  });
}
