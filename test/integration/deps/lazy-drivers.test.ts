import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/wait.js';
import { ROOT } from '../../support/paths.js';

/**
 * Runs one monitoring round in a fresh Node (the built dist/, as the daemon runs it) and lists which database
 * drivers were loaded: each kind's schema module is light, its probe module and driver load only when a check
 * of that kind is configured.
 */
function driversLoadedWith(checks: string): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const { parseConfig } = await import('./dist/config/load.js');
    const { HealthMonitor } = await import('./dist/monitor/health-monitor.js');
    const { createLogger } = await import('./dist/shared/logger.js');
    const config = parseConfig({ host: { collectors: { filesystem: false } }, checks: ${checks} }, {});
    const monitor = new HealthMonitor(config, createLogger({ level: 'silent' }));
    await monitor.runOnce();
    await monitor.stop();
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const drivers = ['pg', 'ioredis'].filter((d) => cache.some((p) => p.includes('/node_modules/' + d + '/')));
    process.stdout.write(JSON.stringify(drivers));
  `;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(out.stderr).toBe('');
  return JSON.parse(out.stdout) as string[];
}

describe('dependency kinds load their drivers lazily', () => {
  it('http and tcp checks load neither pg nor ioredis', async () => {
    const port = await freePort();
    const checks = JSON.stringify([
      { name: 'api', kind: 'http', url: `http://127.0.0.1:${port}/`, timeout: '1s' },
      { name: 'port', kind: 'tcp', host: '127.0.0.1', port, timeout: '1s' },
    ]);
    expect(driversLoadedWith(checks)).toEqual([]);
  });

  it('a postgres check loads pg and still not ioredis', async () => {
    const port = await freePort();
    const checks = JSON.stringify([
      { name: 'db', kind: 'postgres', url: `postgres://u@127.0.0.1:${port}/d`, timeout: '1s' },
    ]);
    expect(driversLoadedWith(checks)).toEqual(['pg']);
  });
});
