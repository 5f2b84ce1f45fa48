import { stringify } from 'yaml';
import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../shared/errors.js';
import { redactDeep } from '../../shared/redact.js';

export function configValidate(path: string | undefined): number {
  if (!path) {
    process.stderr.write('vitals config validate: give the file to validate\n');
    return 2;
  }
  try {
    const { config } = loadConfig({ path });
    process.stdout.write(`${path}: valid (${config.checks.length} check${config.checks.length === 1 ? '' : 's'})\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`vitals: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** The effective config (defaults filled in, variables expanded) with every secret masked. */
export function configPrint(path: string | undefined): number {
  const { config, source } = loadConfig({ ...(path ? { path } : {}) });
  process.stdout.write(
    `# effective config from ${source ?? 'built-in defaults'}; durations in milliseconds, ratios 0..1\n`,
  );
  process.stdout.write(stringify(redactDeep(config)));
  return 0;
}
