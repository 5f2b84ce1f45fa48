import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { withFleetCheck } from '../../fleet/check.js';
import { HealthMonitor } from '../../monitor/health-monitor.js';
import type { CheckState, CheckStatus } from '../../monitor/schema.js';
import { formatValue } from '../../shared/format.js';
import { STATUS_ICON, STATUS_WORD } from '../../shared/status.js';
import { ConfigError } from '../../shared/errors.js';
import { redactText } from '../../shared/redact.js';
import { createLogger } from '../../shared/logger.js';

/** Nagios plugin exit codes. */
const EXIT: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2 };
const UNKNOWN = 3;

/** One round has no history, so `for:` holds cannot apply: values are judged against thresholds as they are. */
function withoutHolds(config: Config): Config {
  const t = config.host.thresholds;
  return {
    ...config,
    host: {
      ...config.host,
      thresholds: {
        cpu: { ...t.cpu, for: 0 },
        memory: { ...t.memory, for: 0 },
        disk: { ...t.disk, for: 0 },
        toolErrorRate: { ...t.toolErrorRate, for: 0 },
      },
    },
  };
}

function renderTable(checks: CheckState[]): string {
  const rows = checks.map((c) => [
    `${STATUS_ICON[c.status]} ${STATUS_WORD[c.status]}`,
    c.name,
    formatValue(c.observedValue, c.observedUnit),
    c.output,
  ]);
  const header = ['STATUS', 'CHECK', 'VALUE', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export async function runCheck(options: {
  configPath: string | undefined;
  json: boolean;
  logLevel: string | undefined;
}): Promise<number> {
  let config: Config;
  try {
    config = loadConfig({ ...(options.configPath ? { path: options.configPath } : {}) }).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`vitals: ${e.message}\n`);
      if (options.json) process.stdout.write(`${JSON.stringify({ status: 'unknown', error: e.message })}\n`);
      return UNKNOWN;
    }
    throw e;
  }
  const log = createLogger({ level: options.logLevel ?? 'warn' });
  const monitor = new HealthMonitor(withoutHolds(withFleetCheck(config)), log);
  try {
    const s = await monitor.runOnce();
    const checks = Object.values(s.checks);
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ status: s.status, time: s.time, hostname: s.hostname, checks }, null, 2)}\n`,
      );
    } else {
      process.stdout.write(
        `${s.hostname}: ${STATUS_ICON[s.status]} ${STATUS_WORD[s.status]}\n\n${renderTable(checks)}\n`,
      );
    }
    return EXIT[s.status];
  } catch (e) {
    // Nagios: anything that stops the round from being judged is UNKNOWN (3), never a WARNING (1).
    const message = redactText(String((e as Error)?.message ?? e), monitor.secrets);
    process.stderr.write(`vitals: check could not run: ${message}\n`);
    if (options.json) process.stdout.write(`${JSON.stringify({ status: 'unknown', error: message })}\n`);
    return UNKNOWN;
  } finally {
    await monitor.stop();
  }
}
