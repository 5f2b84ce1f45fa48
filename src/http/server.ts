import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { VitalsError } from '../shared/errors.js';
import { isLoopback, parseListen, type ListenAddress } from './listen.js';

export interface HttpServerOptions {
  listen: string;
  log: Logger;
  /** Plugins with their options, registered in order (auth before routes). */
  plugins: [FastifyPluginAsync<any>, Record<string, unknown>][];
  /** Authentication configured: required for any non-loopback bind unless `insecure`. */
  authConfigured: boolean;
  insecure: boolean;
  bodyLimit?: number;
}

export class UnsafeBindError extends VitalsError {
  constructor(host: string) {
    super('UNSAFE_BIND', `refusing to listen on ${host} without authentication; configure http.auth, bind 127.0.0.1, or pass --insecure`);
  }
}

export interface HttpServer {
  app: FastifyInstance;
  address: ListenAddress;
  close(): Promise<void>;
}

/** One fastify instance per listen address; features arrive as plugins. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { host, port } = parseListen(options.listen);
  if (!isLoopback(host) && !options.authConfigured && !options.insecure) throw new UnsafeBindError(host);
  const app = Fastify({
    loggerInstance: options.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Slow clients (slowloris) cannot hold sockets open indefinitely.
    connectionTimeout: 0,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.server.headersTimeout = 10_000;
  for (const [plugin, opts] of options.plugins) await app.register(plugin, opts);
  await app.listen({ host, port });
  const addr = app.server.address();
  const address = typeof addr === 'object' && addr ? { host, port: addr.port } : { host, port };
  options.log.info({ listen: `${host.includes(':') ? `[${host}]` : host}:${address.port}` }, 'HTTP server listening');
  return { app, address, close: () => app.close() };
}
