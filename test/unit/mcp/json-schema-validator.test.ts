import { describe, expect, it } from 'vitest';
import { LazyAjvValidator } from '../../../src/mcp/json-schema-validator.js';

describe('LazyAjvValidator', () => {
  it('validates like the SDK validator once Ajv is loaded on first use', () => {
    const validate = new LazyAjvValidator().getValidator<{ n: number }>({
      type: 'object',
      properties: { n: { type: 'number' } },
      required: ['n'],
    });
    expect(validate({ n: 1 })).toEqual({ valid: true, data: { n: 1 }, errorMessage: undefined });
    const bad = validate({ n: 'x' });
    expect(bad.valid).toBe(false);
    expect(bad.errorMessage).toMatch(/must be number/);
  });
});
