import { afterAll, vi } from 'vitest';

// Unit files share one thread and one module cache (isolate: false in vitest.config.ts): what a file switched
// on for itself is switched off before the next file runs. (vi.mock would leak the same way: a file that needs
// it belongs outside test/unit, or the unit project needs isolate back.)
afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});
