import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { writeConfig } from './cli.js';
import { CLI } from './paths.js';

export interface Daemon {
  child: ChildProcess;
  pid: number;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface DaemonOptions {
  /** YAML config text. */
  config?: string;
  listen?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Spawns `vitals serve --http` on port 0 and learns the bound port from the "HTTP server listening" log line,
 * so parallel test files never race for a port.
 */
export function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const args = [
    CLI,
    'serve',
    '--http',
    '--listen',
    options.listen ?? '127.0.0.1:0',
    ...(options.config !== undefined ? ['--config', writeConfig(options.config)] : []),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, VITALS_LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`daemon did not start in time\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      const before = stderr.length;
      stderr += d;
      if (before > 0 && stderr.slice(0, before).includes('"HTTP server listening"')) return;
      const m = /"listen":"(?:\[[^\]]+\]|[^":]+):(\d+)"[^\n]*"msg":"HTTP server listening"/.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      const port = Number(m[1]);
      resolve({
        child,
        pid: child.pid!,
        port,
        url: `http://127.0.0.1:${port}`,
        stderr: () => stderr,
        exited,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before listening\n${stderr}`));
    });
  });
}

/** A random bearer token and the SHA-256 hex the config keeps instead of it. */
export function makeToken(): { token: string; sha256: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, sha256: createHash('sha256').update(token).digest('hex') };
}

/** An SDK client connected over Streamable HTTP, with a bearer token when given. */
export async function connectClient(
  url: string,
  token?: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(
    new URL('/mcp', url),
    token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {},
  );
  const client = new Client({ name: 'http-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
} as const;

/** POSTs raw text to /mcp; the JSON body when there is one. */
export async function postMcp(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const r = await fetch(new URL('/mcp', url), { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // SSE framing: the first data line.
    const line = /^data: (.*)$/m.exec(text)?.[1];
    json = line ? JSON.parse(line) : undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  items?: JsonSchema;
  minimum?: number;
  minItems?: number;
  default?: unknown;
};

/** Arguments that satisfy a tool's input schema using only its required properties, so new tools get called too. */
export function minimalArgs(schema: JsonSchema): Record<string, unknown> {
  const value = (s: JsonSchema): unknown => {
    if (s.default !== undefined) return s.default;
    if (s.enum?.length) return s.enum[0];
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    switch (type) {
      case 'string':
        return 'x';
      case 'integer':
      case 'number':
        return s.minimum ?? 1;
      case 'boolean':
        return false;
      case 'array':
        return Array.from({ length: s.minItems ?? 0 }, () => value(s.items ?? {}));
      case 'object':
        return minimalArgs(s);
      default:
        return null;
    }
  };
  const out: Record<string, unknown> = {};
  for (const name of schema.required ?? []) out[name] = value(schema.properties?.[name] ?? {});
  return out;
}
