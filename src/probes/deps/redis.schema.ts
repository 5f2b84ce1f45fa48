import { z } from 'zod';
import { Ratio } from '../../shared/ratio.js';
import { connectionUrl, defineDependencyKind, type LoadedProbe } from './kind.js';

export const kind = defineDependencyKind({
  kind: 'redis',
  target: { url: connectionUrl(/^rediss?:$/, 'redis://:password@host:6379/0') },
  options: {
    memory: z
      .object({ warn: Ratio.default(0.8), fail: Ratio.default(0.95) })
      .strict()
      .default({ warn: 0.8, fail: 0.95 }),
  },
  load: (): Promise<LoadedProbe> => import('./redis.js'),
});
