#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/errors.js';
import { optimizer } from '../shared/optimizer.js';
import { VERSION } from '../version.js';

const USAGE = `mcp-vitals ${VERSION}: a monitoring daemon that speaks the Model Context Protocol

Usage:
  vitals serve --stdio [--config FILE] [--log-level LEVEL]
      serve MCP over stdio (Claude Desktop)
  vitals serve --http [--listen HOST:PORT] [--insecure]
      serve HTTP (default 127.0.0.1:9464); with --stdio too if given
  vitals serve --stdio --metrics-port PORT
      also serve /metrics and health routes on 127.0.0.1:PORT
  vitals check [--json] [--config FILE]
      one sampling round; exit 0 ok, 1 warning, 2 failed, 3 unknown
  vitals config validate FILE
      validate a config file; exit 2 when invalid
  vitals config print [--config FILE]
      print the effective config, secrets redacted
  vitals token new [SUBJECT] [--scopes a,b] [--expires-in 90d]
      a random bearer token and the http.auth.tokens entry (hash only) for it
  vitals --version | --help

Environment: VITALS_CONFIG (config file), VITALS_LOG_LEVEL (fatal|error|warn|info|debug|trace|silent);
OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_/_METRICS_ENDPOINT) pushes traces and metrics over OTLP;
OTEL_EXPORTER_OTLP_PROTOCOL (or _TRACES_/_METRICS_PROTOCOL): http/protobuf (default), http/json or grpc.
`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      stdio: { type: 'boolean' },
      http: { type: 'boolean' },
      listen: { type: 'string' },
      insecure: { type: 'boolean' },
      'metrics-port': { type: 'string' },
      config: { type: 'string', short: 'c' },
      'log-level': { type: 'string' },
      json: { type: 'boolean' },
      scopes: { type: 'string' },
      'expires-in': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const logLevel = values['log-level'] ?? process.env.VITALS_LOG_LEVEL;
  switch (command) {
    case 'serve': {
      if (!values.stdio && !values.http) {
        process.stderr.write('vitals serve: choose a transport: --stdio, --http, or both\n');
        return 2;
      }
      // Before the daemon's modules load: start-up is not worth optimizing (the app turns TurboFan on when it is).
      optimizer.defer();
      const metricsPort = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
      if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort <= 65535)) {
        process.stderr.write(
          `vitals serve: --metrics-port expects a port number 0-65535, got "${values['metrics-port']}"\n`,
        );
        return 2;
      }
      return (await import('./commands/serve.js')).serve({
        configPath: values.config,
        logLevel,
        stdio: Boolean(values.stdio),
        ...(values.http
          ? { http: { ...(values.listen ? { listen: values.listen } : {}), insecure: Boolean(values.insecure) } }
          : {}),
        ...(metricsPort !== undefined ? { metricsPort } : {}),
      });
    }
    case 'check':
      return (await import('./commands/check.js')).runCheck({
        configPath: values.config,
        json: Boolean(values.json),
        logLevel,
      });
    case 'config':
      if (sub === 'validate') return (await import('./commands/config.js')).configValidate(arg ?? values.config);
      if (sub === 'print') return (await import('./commands/config.js')).configPrint(values.config);
      process.stderr.write('vitals config: expected "validate FILE" or "print"\n');
      return 2;
    case 'token':
      if (sub !== 'new') {
        process.stderr.write('vitals token: expected "new [SUBJECT] [--scopes a,b] [--expires-in 90d]"\n');
        return 2;
      }
      return (await import('./commands/token.js')).tokenNew({
        subject: arg,
        scopes: values.scopes,
        expiresIn: values['expires-in'],
      });
    default:
      process.stderr.write(`vitals: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

/** Node's parseArgs messages explain its own API ("place it at the end of the command after '--'"); say it plainly. */
function parseArgsMessage(e: Error & { code: string }): string {
  const option = /'(-{1,2}[^']*)'/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) return `option ${option.split(' ')[0]} needs a value`;
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'unexpected argument';
  return e.message;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(`vitals: ${e.message}\n`);
      process.exitCode = 2;
    } else if ((e as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`vitals: ${parseArgsMessage(e as Error & { code: string })}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`vitals: ${(e as Error)?.stack ?? e}\n`);
      process.exitCode = 1;
    }
  },
);
