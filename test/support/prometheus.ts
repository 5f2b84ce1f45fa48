import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT } from './paths.js';
import { freePort, waitUntil } from './wait.js';

/** A real server process of the Prometheus family on a loopback port, with its own data directory. */
export interface PromServer {
  url: string;
  port: number;
  dir: string;
  log(): string;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startServer(
  binary: string,
  args: (dir: string, port: number) => string[],
  files: Record<string, string>,
  ready: string,
  fixedPort?: number,
): Promise<PromServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-prom-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const port = fixedPort ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child = spawn(binary, args(dir, port), { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => (log += d));
  const server: PromServer = {
    url,
    port,
    dir,
    log: () => log,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`${binary} exited ${child.exitCode}: ${log.slice(-2000)}`);
      return (await fetch(`${url}${ready}`)).ok;
    }, `${binary} to be ready`);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/** Debian's `prometheus` with the given config (rule files are written beside it), on `port` or a free one. */
export function startPrometheus(
  config: string,
  ruleFiles: Record<string, string> = {},
  extraArgs: string[] = [],
  port?: number,
): Promise<PromServer> {
  return startServer(
    '/usr/bin/prometheus',
    (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...extraArgs,
    ],
    { 'prometheus.yml': config, ...ruleFiles },
    '/-/ready',
    port,
  );
}

/** Debian's `prometheus-alertmanager`, clustering off, one receiver that sends nowhere. */
export function startAlertmanager(): Promise<PromServer> {
  const config = 'route:\n  receiver: none\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: none\n';
  return startServer(
    '/usr/bin/prometheus-alertmanager',
    (dir, port) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { 'alertmanager.yml': config },
    '/-/ready',
  );
}

/**
 * The repo's alerts/vitals.rules.yml with short `for:` holds and evaluation intervals, so a test sees
 * pending and firing in seconds; expressions, labels and annotations are the shipped ones.
 */
export function shortRules(forByAlert: Record<string, string>, interval = '1s'): string {
  const doc = parse(readFileSync(join(ROOT, 'alerts', 'vitals.rules.yml'), 'utf8')) as {
    groups: { interval?: string; rules: { alert?: string; for?: string }[] }[];
  };
  for (const g of doc.groups) {
    g.interval = interval;
    for (const r of g.rules) if (r.alert && forByAlert[r.alert] !== undefined) r.for = forByAlert[r.alert];
  }
  return stringify(doc);
}
