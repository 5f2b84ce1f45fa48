import { createRequire } from 'node:module';
import { z } from 'zod';

const requireLazy = createRequire(import.meta.url);

/**
 * A cron expression (node-cron: 5 or 6 fields), checked by node-cron itself so config accepts exactly what the
 * scheduler can run. node-cron is loaded only when a config gives an expression: cold start does not pay for it.
 */
export const CronExpression = z
  .string()
  .refine((expr) => (requireLazy('node-cron') as typeof import('node-cron')).validate(expr), 'invalid cron expression');
