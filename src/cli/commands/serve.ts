import { App } from '../../app.js';
import { loadConfig } from '../../config/load.js';
import { routeProcessWarnings } from '../../shared/logger.js';

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available',
};

export interface ServeOptions {
  configPath: string | undefined;
  logLevel: string | undefined;
  stdio: boolean;
  http?: { listen?: string; insecure?: boolean };
  /** --metrics-port: /metrics and health routes on 127.0.0.1:<port>. */
  metricsPort?: number;
}

/** Runs the daemon until SIGTERM/SIGINT or, in stdio mode, until the client closes stdin. */
export async function serve(options: ServeOptions): Promise<number> {
  const { config, source } = loadConfig({ path: options.configPath });
  const app = new App({
    config,
    stdio: options.stdio,
    ...(options.http ? { http: options.http } : {}),
    ...(options.metricsPort !== undefined ? { metricsPort: options.metricsPort } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  });
  routeProcessWarnings(app.log);
  app.log.debug({ source: source ?? '(defaults)' }, 'config loaded');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.stop(signal));
  try {
    await app.start();
  } catch (e) {
    // A daemon that cannot start must exit, not linger with its monitor's timers running.
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    const unsafe = err.code === 'UNSAFE_BIND';
    const message = unsafe
      ? err.message
      : err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
        ? `cannot listen on ${err.address ?? ''}:${err.port ?? ''}: ${LISTEN_ERRORS[err.code]}`
        : `could not start: ${err.message}`;
    process.stderr.write(`vitals: ${message}\n`);
    await app.stop('start failed').catch(() => {});
    setImmediate(() => process.exit(unsafe ? 2 : 1));
    return unsafe ? 2 : 1;
  }
  await app.stopped;
  // Sockets and pools are closed; exit rather than wait on anything a library left referenced.
  setImmediate(() => process.exit(0));
  return 0;
}
