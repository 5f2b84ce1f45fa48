// Issue 18 figures: stdio cold start (spawn to initialize reply) of this build against an earlier one, with
// no OTLP endpoint (nothing of OpenTelemetry may load) and with one per OTLP transport (the exporters load in
// the background, after initialize). Starts alternate so the machine's noise falls on all of them alike.
// Run after `npm run build`: node bench/otlp-cold-start.mjs --before <dir with an earlier dist/cli/main.js>
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, median, table, timeToInitialize } from './lib.mjs';

const { values } = parseArgs({ options: { before: { type: 'string' }, starts: { type: 'string', default: '15' } } });
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const quiet = { VITALS_LOG_LEVEL: 'warn' };
// A closed port: exports fail quietly in the background; what counts is the time to initialize.
const otlp = (protocol) => ({
  ...quiet,
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
});

const runs = [
  ...(values.before ? [['earlier build, no OTLP', join(resolve(values.before), 'cli/main.js'), quiet]] : []),
  ['this build, no OTLP', CLI, quiet],
  ['this build, OTLP http/protobuf', CLI, otlp('http/protobuf')],
  ['this build, OTLP http/json', CLI, otlp('http/json')],
  ['this build, OTLP grpc', CLI, otlp('grpc')],
];
const times = runs.map(() => []);
for (let i = 0; i < Number(values.starts); i++) {
  // Each round starts with a different one, so no variant always pays for going first.
  for (let k = 0; k < runs.length; k++) {
    const j = (i + k) % runs.length;
    const [, cli, env] = runs[j];
    times[j].push(await timeToInitialize(process.execPath, [cli, 'serve', '--stdio'], env));
  }
}
const base = median(times[0]);
table(
  `stdio cold start to initialize reply (median of ${values.starts})`,
  runs.map(([name], j) => [name, `${fmt(median(times[j]), 1)} ms`, `${fmt(median(times[j]) / base, 2)} x`]),
);
