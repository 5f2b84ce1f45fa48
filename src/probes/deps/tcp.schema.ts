import { z } from 'zod';
import { defineDependencyKind, type LoadedProbe } from './kind.js';

export const kind = defineDependencyKind({
  kind: 'tcp',
  target: { host: z.string().min(1), port: z.number().int().min(1).max(65535) },
  options: {
    tls: z
      .union([
        z.boolean(),
        z
          .object({
            servername: z.string().optional(),
            insecureSkipVerify: z.boolean().default(false),
            /** PEM text or a path to a PEM file. */
            ca: z.string().optional(),
            certWarnDays: z.number().min(0).default(14),
            certFailDays: z.number().min(0).default(7),
          })
          .strict(),
      ])
      .default(false),
  },
  load: (): Promise<LoadedProbe> => import('./tcp.js'),
});
