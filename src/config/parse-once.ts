/**
 * Parse options for a schema parsed once, at start (the config and its defaults): zod's fast path generates
 * and compiles code for each object schema on its first parse, which pays only when a schema is parsed many
 * times. Skipping it takes a few ms off every start (config import and parse 41-62 ms -> 35-38 ms).
 */
export const PARSE_ONCE = { jitless: true } as const;
