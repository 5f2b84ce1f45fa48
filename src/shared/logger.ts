import pino, { type Logger } from 'pino';
import { redactUrl } from './redact.js';
import { traceContextFields } from './log-context.js';

export type { Logger };

/** Paths pino masks wherever they appear in a log object (one level of nesting, plus common homes). */
const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'config.checks[*].url',
  'config.checks[*].headers',
  'url',
  '*.url',
  'connectionString',
  '*.connectionString',
];

export interface LoggerOptions {
  level: string;
  /** Where lines go; stderr by default so stdout stays the protocol's in stdio mode. */
  destination?: NodeJS.WritableStream | number;
  /** Fields added to every line; by default trace_id/span_id of the active span once tracing is on. */
  mixin?: () => Record<string, unknown>;
}

export function createLogger(options: LoggerOptions): Logger {
  const dest = options.destination ?? 2;
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: REDACT_PATHS,
        // URLs keep their shape with only the password masked, so a log line still says which server.
        censor: (value: unknown) => (typeof value === 'string' && /:\/\//.test(value) ? redactUrl(value) : '***'),
      },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Free-text messages may quote a connection string from a driver error.
        logMethod(args, method) {
          if (typeof args[0] === 'string') args[0] = redactUrl(args[0]);
          if (typeof args[1] === 'string') args[1] = redactUrl(args[1]);
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
      mixin: options.mixin ?? traceContextFields,
    },
    typeof dest === 'number' ? pino.destination({ fd: dest, sync: true }) : (dest as pino.DestinationStream),
  );
}

/**
 * Node prints process warnings (TimeoutOverflowWarning, MaxListenersExceededWarning, deprecations) as plain
 * text on stderr, where every other line is JSON: send them through the logger instead. Process-wide, so
 * only the daemon's entry point calls it.
 */
export function routeProcessWarnings(log: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) =>
    log.warn(
      { warning: { name: w.name, ...(w.code ? { code: w.code } : {}), message: w.message } },
      `process warning: ${w.name}`,
    ),
  );
}
