import { z } from 'zod';

/** A ratio in config: 0.85 or "85%". */
export const Ratio = z.union([z.number(), z.string()]).transform((v, ctx) => {
  let n: number;
  if (typeof v === 'number') n = v;
  else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `invalid ratio "${v}" (expected 0.85 or "85%")` });
      return z.NEVER;
    }
    n = Number(m[1]) / 100;
  }
  if (!(n >= 0 && n <= 1)) {
    ctx.addIssue({ code: 'custom', message: `ratio ${v} is outside 0..1 (write 0.85 or "85%")` });
    return z.NEVER;
  }
  return n;
});
