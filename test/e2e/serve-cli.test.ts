import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('vitals serve refuses to start unsafely, and exits when it cannot start', () => {
  it('a non-loopback listen without auth exits 2 with the reason, and does not linger', async () => {
    const r = await runCli(['serve', '--http', '--listen', '0.0.0.0:0'], { VITALS_LOG_LEVEL: 'silent' }, 10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without authentication/);
    expect(r.stdout).toBe('');
  });

  it('a port already in use exits 1 with a one-line reason, not a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(
        ['serve', '--http', '--listen', `127.0.0.1:${port}`],
        { VITALS_LOG_LEVEL: 'silent' },
        10_000,
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`vitals: cannot listen on 127.0.0.1:${port}: address already in use\n`);
    } finally {
      blocker.close();
    }
  });

  it('no transport chosen is a usage error', async () => {
    const r = await runCli(['serve']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/choose a transport/);
  });
});
