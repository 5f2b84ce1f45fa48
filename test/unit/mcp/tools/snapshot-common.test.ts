import { describe, expect, it } from 'vitest';
import { isKeptAnswer, perSnapshot } from '../../../../src/mcp/tools/snapshot-common.js';

describe('perSnapshot', () => {
  it('builds once per snapshot and arguments, and afresh for a new snapshot', () => {
    let builds = 0;
    const answer = perSnapshot(
      (s: { n: number }, a: { x?: boolean }) => ({ n: s.n, x: a.x === true, build: ++builds }),
      (a) => String(a.x === true),
    );
    const first = { n: 1 };
    expect(answer(first, {})).toEqual({ n: 1, x: false, build: 1 });
    expect(answer(first, { x: false })).toBe(answer(first, {}));
    expect(answer(first, { x: true })).toEqual({ n: 1, x: true, build: 2 });
    expect(answer({ n: 2 }, {})).toEqual({ n: 2, x: false, build: 3 });
    expect(builds).toBe(3);
  });

  it('marks the answers it keeps, and only those', () => {
    const answer = perSnapshot(
      (s: { n: number }) => ({ n: s.n }),
      () => '',
    );
    expect(isKeptAnswer(answer({ n: 1 }, {}))).toBe(true);
    expect(isKeptAnswer({ n: 1 })).toBe(false);
    expect(isKeptAnswer(undefined)).toBe(false);
  });
});
