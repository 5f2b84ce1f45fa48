import { z } from 'zod';
import { Duration } from '../../shared/duration.js';
import { Ratio } from '../../shared/ratio.js';
import { connectionUrl, defineDependencyKind, type LoadedProbe } from './kind.js';

export const kind = defineDependencyKind({
  kind: 'postgres',
  target: { url: connectionUrl(/^postgres(ql)?:$/, 'postgres://user:password@host:5432/db') },
  options: {
    connections: z
      .object({ warn: Ratio.default(0.8), fail: Ratio.default(0.95) })
      .strict()
      .default({ warn: 0.8, fail: 0.95 }),
    replicationLag: z
      .object({ warn: Duration.default(30_000), fail: Duration.default(300_000) })
      .strict()
      .default({ warn: 30_000, fail: 300_000 }),
    query: z
      .object({ sql: z.string().min(1), expectRows: z.number().int().min(0).optional() })
      .strict()
      .optional(),
  },
  load: (): Promise<LoadedProbe> => import('./postgres.js'),
});
