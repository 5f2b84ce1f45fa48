import { z } from 'zod';
import { defineDependencyKind, type LoadedProbe } from './kind.js';

/** "200", 200, "2xx" or "200-299". */
const StatusSpec = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^([1-5]xx|\d{3}(-\d{3})?)$/, 'expected 200, "2xx" or "200-299"'),
]);

export const kind = defineDependencyKind({
  kind: 'http',
  target: { url: z.url({ protocol: /^https?$/ }) },
  options: {
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    expectStatus: z.array(StatusSpec).min(1).default(['2xx']),
    /** Searched for in the first `maxBodyBytes` of the response body. */
    bodyContains: z.string().optional(),
    /** How much of the response body is read for `bodyContains` and `json`; the rest is discarded unread. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    json: z
      .object({
        path: z.string().min(1),
        equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
        exists: z.boolean().optional(),
      })
      .strict()
      .optional(),
    maxRedirects: z.number().int().min(0).max(20).default(5),
    /**
     * Send the configured `headers` on after a redirect to another origin. Off by default: a redirect must not
     * hand an API key to whoever it points at. `true` forwards all of them, a list only those named.
     */
    forwardHeadersOnRedirect: z.union([z.boolean(), z.array(z.string().min(1))]).default(false),
    tls: z
      .object({
        certWarnDays: z.number().min(0).default(14),
        certFailDays: z.number().min(0).default(7),
        insecureSkipVerify: z.boolean().default(false),
        /** PEM text or a path to a PEM file. */
        ca: z.string().optional(),
      })
      .strict()
      .default({ certWarnDays: 14, certFailDays: 7, insecureSkipVerify: false }),
  },
  load: (): Promise<LoadedProbe> => import('./http.js'),
});
