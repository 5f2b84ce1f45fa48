import { createServer } from 'node:net';

/** Waits `ms` of real time. Only for a test that must let time pass (nothing to poll); else use `waitUntil`. */
export function sleep(ms: number): Promise<void> {
  // The global timer, not node:timers/promises: vi.useFakeTimers() replaces this one.
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Reads `read()` every `everyMs` until `done` holds for the value or `timeoutMs` passes, and returns the last
 * value either way: the caller's assertions on it say what was seen when time ran out. A read that throws
 * ends the wait with its error (an assertion inside `read` fails the test at once, as it would unpolled).
 */
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await sleep(everyMs);
  }
}

/** Polls `fn` until it returns something truthy; throws with `what` when time runs out. */
export async function waitUntil<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  let last: unknown;
  const v = await pollUntil(
    async () => {
      try {
        return await fn();
      } catch (e) {
        last = e;
        return undefined;
      }
    },
    Boolean,
    timeoutMs,
    everyMs,
  );
  if (v) return v as NonNullable<T>;
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
