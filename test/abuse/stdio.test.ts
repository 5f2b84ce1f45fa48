import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/wait.js';
import { nonJsonLines, startStdioDaemon, type StdioDaemon } from './stdio-daemon.js';

const MiB = 1024 * 1024;

describe('stdio: an oversized line (finding 1)', () => {
  it(
    'a line over 10 MiB is answered -32600 with its id, later requests are served, and closing stdin ends the ' +
      'daemon',
    async () => {
      const d = await startStdioDaemon();
      const huge =
        `{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"health_check","arguments":{"pad":"` +
        `${'x'.repeat(11 * MiB)}"}}}\n`;
      await d.write(huge);
      const refused = await d.waitFor((m) => m?.id === 'big-1', 'answer to the oversized line');
      expect(refused.error).toMatchObject({
        code: -32600,
        message: expect.stringMatching(/larger than the limit of 4194304 bytes/),
      });
      // Still listening: the next request is answered.
      const pong = await d.call('ping');
      expect(pong.result).toEqual({});
      const tools = await d.call('tools/list');
      expect(tools.result.tools.length).toBeGreaterThan(3);
      // The drop was logged as JSON, and stdout never carried anything but JSON-RPC.
      expect(d.stderr()).toMatch(/"msg":"stdio: message larger than limits.messageBytes dropped"/);
      expect(d.lines.every((l) => typeof l === 'object')).toBe(true);
      const started = Date.now();
      d.child.stdin.end();
      expect(await d.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
    },
  );

  it('stdin closing in the middle of an oversized line still ends the daemon', async () => {
    const d = await startStdioDaemon('limits: { messageBytes: 65536 }\n');
    await d.write(`{"jsonrpc":"2.0","id":5,"method":"ping","params":{"x":"${'y'.repeat(200_000)}`);
    d.child.stdin.end();
    expect(await d.exited).toBe(0);
  });
});

describe('stdio: bounds on what the client leaves pending', () => {
  let d: StdioDaemon;
  beforeAll(async () => {
    d = await startStdioDaemon('limits: { pendingRequests: 2 }\n');
  });
  afterAll(async () => {
    d.child.stdin.end();
    await d.exited;
  });

  it(
    'past limits.pendingRequests a request is refused at once; a reused id in flight is refused; nothing is ' +
      'left unanswered',
    async () => {
      const call = (id: number | string) =>
        JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'health_check', arguments: {} } });
      // One write: all lines arrive before any answer can go out.
      await d.write(`${[call('p1'), call('p1'), call('p2'), call('p3'), call('p4')].join('\n')}\n`);
      const answers = await Promise.all(
        ['p1', 'p2', 'p3', 'p4'].map((id) =>
          d.waitFor((m) => m?.id === id && (m.result || m.error?.code === -32000), `answer ${id}`),
        ),
      );
      expect(answers[0].result.isError).toBeFalsy();
      expect(answers[1].result.isError).toBeFalsy();
      expect(answers[2].error).toMatchObject({
        code: -32000,
        message: expect.stringMatching(/Too many requests in flight \(limit 2\)/),
      });
      expect(answers[3].error).toMatchObject({ code: -32000 });
      const dup = await d.waitFor((m) => m?.id === 'p1' && m.error, 'the duplicate id refusal');
      expect(dup.error).toMatchObject({ code: -32600, message: expect.stringMatching(/already in use/) });
      // Answers free the slots.
      expect((await d.call('tools/call', { name: 'health_check', arguments: {} })).result).toBeDefined();
    },
  );
});

describe('stdio: a slow reader (finding 9)', () => {
  it(
    'answers queued behind a client that stops reading make no MaxListenersExceededWarning; stderr ' + 'stays JSON',
    async () => {
      const d = await startStdioDaemon();
      d.pause();
      const ids: number[] = [];
      const batch: string[] = [];
      for (let i = 0; i < 60; i++) {
        ids.push(9000 + i);
        batch.push(JSON.stringify({ jsonrpc: '2.0', id: 9000 + i, method: 'tools/list' }));
      }
      await d.write(`${batch.join('\n')}\n`);
      await sleep(1500);
      d.resume();
      await Promise.all(ids.map((id) => d.waitFor((m) => m?.id === id, `answer ${id}`)));
      d.child.stdin.end();
      expect(await d.exited).toBe(0);
      expect(d.stderr()).not.toMatch(/MaxListenersExceeded/);
      expect(nonJsonLines(d.stderr())).toEqual([]);
    },
  );
});

describe('stdio fuzzer (fast-check)', () => {
  let d: StdioDaemon;
  beforeAll(async () => {
    d = await startStdioDaemon('limits: { messageBytes: 65536 }\n');
  });
  afterAll(async () => {
    d.child.stdin.end();
    expect(await d.exited).toBe(0);
    expect(nonJsonLines(d.stderr())).toEqual([]);
  });

  it('random lines, junk JSON, wrong JSON-RPC and oversized lines: every line that is answered is JSON-RPC, and ' +
    'the daemon keeps answering', async () => {
    const noNewline = (s: string) => s.replace(/[\r\n]/g, ' ');
    const line = fc.oneof(
      fc.string({ maxLength: 200 }).map(noNewline),
      fc.json({ maxDepth: 3 }).map(noNewline),
      fc
        .record({
          jsonrpc: fc.constantFrom('2.0', '1.0', 2),
          id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null)),
          method: fc.oneof(
            fc.constantFrom(
              'ping',
              'tools/list',
              'resources/read',
              'resources/subscribe',
              'tools/call',
              'prompts/get',
              'logging/setLevel',
            ),
            fc.string({ maxLength: 20 }),
          ),
          params: fc.oneof(
            fc.constant(undefined),
            fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
          ),
        })
        .map((o) => noNewline(JSON.stringify(o))),
      fc
        .array(fc.record({ jsonrpc: fc.constant('2.0'), id: fc.integer(), method: fc.constant('ping') }), {
          maxLength: 3,
        })
        .map((a) => JSON.stringify(a)),
      fc
        .integer({ min: 65_537, max: 300_000 })
        .map((n) => `{"jsonrpc":"2.0","id":7,"method":"ping","params":{"pad":"${'z'.repeat(n)}"}}`),
    );
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 15 }), async (lines) => {
        await d.write(`${lines.join('\n')}\n`);
        const pong = await d.call('ping', undefined, 10_000);
        round++;
        return pong.result !== undefined && d.child.exitCode === null;
      }),
      { numRuns: 40, interruptAfterTimeLimit: 60_000 },
    );
    expect(round).toBeGreaterThan(5);
    for (const m of d.lines) {
      expect(typeof m).toBe('object');
      expect((m as { jsonrpc?: string }).jsonrpc).toBe('2.0');
    }
    // Unparseable lines got -32700, non-JSON-RPC ones -32600, the oversized ones -32600 with their id.
    const codes = new Set(d.lines.map((m: any) => m?.error?.code).filter((c) => c !== undefined));
    expect(codes.has(-32700)).toBe(true);
    expect(codes.has(-32600)).toBe(true);
  }, 120_000);
});
