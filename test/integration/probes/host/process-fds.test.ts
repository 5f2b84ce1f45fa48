import { closeSync, openSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collector } from '../../../../src/probes/host/process.js';

// A process of its own (the system project forks per file): the unit project's threads share descriptors.
describe('the process collector counts open file descriptors', () => {
  it('as many as are open, and follows descriptors opened and closed', async () => {
    const probe = collector.create(
      { procfs: '/proc', rootfs: '/' },
      { process: { eventLoopDelayResolution: 1000 } },
      {
        warn() {},
      },
    );
    const signal = new AbortController().signal;
    // The count is taken in run()'s synchronous start, so nothing opens or closes between the two readings.
    const count = () => {
      const truth = readdirSync('/proc/self/fd').length - 1; // less the listing's own descriptor
      return { truth, run: probe.run(signal) };
    };
    try {
      const first = count();
      expect((await first.run).openFds).toBe(first.truth);
      const fds = Array.from({ length: 5 }, () => openSync('/proc/self/stat', 'r'));
      const opened = count();
      expect((await opened.run).openFds).toBe(opened.truth);
      expect(opened.truth).toBe(first.truth + 5);
      for (const fd of fds) closeSync(fd);
      const closed = count();
      expect((await closed.run).openFds).toBe(first.truth);
    } finally {
      await probe.close?.();
    }
  });
});
