import { describe, expect, it } from 'vitest';
import { expandString, expandTree } from '../../../src/config/expand.js';

const env = { HOST: 'db.internal', PASS: 'p@ss', EMPTY: '' };

describe('expandString', () => {
  it('expands ${VAR} and keeps the rest', () =>
    expect(expandString('postgres://u:${PASS}@${HOST}/x', env)).toBe('postgres://u:p@ss@db.internal/x'));
  it('uses the :- default when unset or empty', () => {
    expect(expandString('${NOPE:-fallback}', env)).toBe('fallback');
    expect(expandString('${EMPTY:-fb}', env)).toBe('fb');
    expect(expandString('${HOST:-fb}', env)).toBe('db.internal');
  });
  it('treats $$ as a literal dollar and does not expand after it', () => {
    expect(expandString('cost $$5', env)).toBe('cost $5');
    expect(expandString('$${HOST}', env)).toBe('${HOST}');
  });
  it('leaves a lone $ alone', () => expect(expandString('a$b', env)).toBe('a$b'));
  it('throws naming the missing variable', () =>
    expect(() => expandString('${MISSING}', env)).toThrow(/MISSING is not set/));
  it('names every missing variable of one string, once each', () =>
    expect(() => expandString('${A1}:${B2}@${HOST}/${A1}', env)).toThrow(/variables A1, B2 are not set/));
});

describe('expandTree', () => {
  it('expands nested string values only and reports paths', () => {
    const errors: { path: (string | number)[]; message: string }[] = [];
    const out = expandTree({ a: ['${HOST}', 3, { b: '${GONE}' }], '${HOST}': true }, env, [], errors);
    expect(out).toEqual({ a: ['db.internal', 3, { b: '${GONE}' }], '${HOST}': true });
    expect(errors).toEqual([{ path: ['a', 2, 'b'], message: expect.stringMatching(/GONE/) }]);
  });
});
