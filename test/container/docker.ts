import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Debian's docker.io client, talking to the run's private engine (DOCKER_HOST from test/container/run.sh). */
export const DOCKER = process.env.VITALS_DOCKER ?? '/usr/bin/docker';
export const IMAGE = process.env.VITALS_IMAGE ?? 'mcp-vitals:test';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Run {
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    timeout: options.timeoutMs ?? 120_000,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** `docker ARGS`; stdout, trimmed. Throws with stderr when it fails. */
export function docker(...args: string[]): string {
  const r = run(DOCKER, args);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

export function inspect<T = any>(what: string, format = '{{json .}}'): T {
  return JSON.parse(docker('inspect', '--format', format, what)) as T;
}

export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  what: string | (() => string),
  timeoutMs = 60_000,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(everyMs);
  }
}
