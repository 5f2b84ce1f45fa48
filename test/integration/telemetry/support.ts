import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
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
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, VITALS_LOG_LEVEL: 'info', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
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
        const listening = lines.map((l) => JSON.parse(l) as { msg?: string; listen?: string }).filter((l) => l.msg === 'HTTP server listening');
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

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  scope: string;
}

/** A minimal OTLP/HTTP receiver (JSON encoding): collects spans and metric names sent to /v1/traces and /v1/metrics. */
export async function otlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; metricNames: Set<string>; requests: string[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const metricNames = new Set<string>();
  const requests: string[] = [];
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as any;
        for (const rs of body.resourceSpans ?? []) {
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const attributes: Record<string, unknown> = {};
              for (const a of s.attributes ?? []) attributes[a.key] = Object.values(a.value ?? {})[0];
              spans.push({ traceId: s.traceId, spanId: s.spanId, ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}), name: s.name, kind: s.kind, status: s.status, attributes, scope: ss.scope?.name });
            }
          }
        }
        for (const rm of body.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) metricNames.add(m.name);
      } catch {
        // Protobuf or junk: counted in `requests`, not parsed.
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, spans, metricNames, requests, close: () => new Promise((r) => server.close(() => r())) };
}
