import { describe, expect, it } from 'vitest';
import { CronExpression } from '../../../src/shared/cron.js';

describe('CronExpression', () => {
  it('accepts what node-cron runs (5 or 6 fields) and rejects the rest', () => {
    expect(CronExpression.safeParse('*/10 * * * *').success).toBe(true);
    expect(CronExpression.safeParse('0 */5 * * * *').success).toBe(true);
    const bad = CronExpression.safeParse('every tuesday');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('invalid cron expression');
  });
});
