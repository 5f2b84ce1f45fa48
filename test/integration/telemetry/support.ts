import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from '../../support/paths.js';
import { waitUntil } from '../../support/wait.js';

export interface Daemon {
  child: ChildProcess;
  /** Every stderr line (pino JSON) so far. */
  lines: string[];
  /** The address of the first (or n-th) HTTP server the daemon reported listening on. */
  httpAddress(n?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Spawns the built CLI with loopback-only settings; stdout is left alone for a stdio client when asked. */
export function spawnDaemon(args: string[], env: Record<string, string> = {}): Daemon {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, VITALS_LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  return {
    child,
    lines,
    httpAddress: (n = 0) =>
      waitUntil(() => {
        if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}: ${lines.slice(-5).join('\n')}`);
        const listening = lines
          .map((l) => JSON.parse(l) as { msg?: string; listen?: string })
          .filter((l) => l.msg === 'HTTP server listening');
        return listening[n]?.listen;
      }, 'the daemon to listen'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export { otlpHttpReceiver as otlpReceiver, type OtlpSpan } from '../../support/otlp.js';
