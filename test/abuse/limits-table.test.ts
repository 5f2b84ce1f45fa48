import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LimitsConfig } from '../../src/config/limits.js';
import { LIMIT_NAMES } from '../../src/shared/refusals.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the limits table', () => {
  it('names every key of the limits section and every refusal label', () => {
    for (const key of Object.keys(LimitsConfig.shape)) expect(README, key).toContain(`\`limits.${key}\``);
    for (const name of LIMIT_NAMES) expect(README, name).toContain(`\`${name}\``);
  });
});
