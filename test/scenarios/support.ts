import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createConnection } from 'node:net';
import { writeConfig } from '../support/cli.js';
import { CLI } from '../support/paths.js';
import { waitUntil } from '../support/wait.js';

/**
 * Incident scenarios: a spawned daemon over real stdio, real faults with known times, and what the tools say
 * checked against those times. Intervals are short (500 ms) so no scenario waits long in real time.
 */

export type Json = Record<string, any>;

interface ToolAnswer {
  text: string;
  data: Json;
  isError: boolean;
}

export interface Daemon {
  client: Client;
  stderr(): string;
  /** JSON log lines written to stderr so far. */
  logs(): Json[];
  listChanged: number[];
  call(name: string, args?: Json): Promise<ToolAnswer>;
  close(): Promise<void>;
}

export async function startDaemon(configYaml: string, env: Record<string, string> = {}): Promise<Daemon> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', '--stdio', '--config', writeConfig(configYaml)],
    env: { ...process.env, VITALS_LOG_LEVEL: 'info', ...env } as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'scenario', version: '1.0.0' });
  const listChanged: number[] = [];
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void listChanged.push(Date.now()));
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    logs: () =>
      stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Json),
    listChanged,
    async call(name, args = {}) {
      const r = await client.callTool({ name, arguments: args });
      return {
        text: (r.content as { text: string }[])[0]?.text ?? '',
        data: (r.structuredContent ?? {}) as Json,
        isError: r.isError === true,
      };
    },
    close: () => client.close(),
  };
}

/** A Redis server of the test's own, on its own port, that the test may kill and start again. */
export class OwnRedis {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    await waitUntil(() => canConnect(this.port), `redis-server on port ${this.port}`, 10_000, 50);
  }

  /** SIGKILL: the server vanishes as in a crash; resolves once the port refuses. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Status of one check as check_dependencies or health_check reports it. */
export async function statusOf(d: Daemon, check: string): Promise<string | undefined> {
  const r = await d.call('health_check', {});
  return (r.data.checks as Json[]).find((c) => c.name === check)?.status;
}

/** The headline words health_check uses for the overall status, which diagnose must repeat. */
export const OVERALL_WORD: Record<string, string> = {
  pass: 'ok (pass)',
  warn: 'warning (warn)',
  fail: 'failed (fail)',
};
