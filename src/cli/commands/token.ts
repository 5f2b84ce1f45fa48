import { createHash, randomBytes } from 'node:crypto';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../shared/duration.js';
import { Scope } from '../../config/schema.js';

const quoted = (names: string[]) => names.map((s) => `"${s.slice(0, 40)}"`).join(', ');

export interface TokenNewOptions {
  subject: string | undefined;
  /** Comma-separated, e.g. "vitals:read,vitals:refresh" (the "vitals:" prefix may be left out). */
  scopes: string | undefined;
  /** "90d": the entry gets an `expires` time this far ahead. */
  expiresIn: string | undefined;
  now?: number;
}

const SUBJECT = /^[\w.@:+-]{1,128}$/;

/** A token and its config entry, or the reason the arguments cannot make one. */
function newToken(o: TokenNewOptions): { ok: true; token: string; entry: string } | { ok: false; error: string } {
  const subject = o.subject ?? 'client';
  if (!SUBJECT.test(subject))
    return { ok: false, error: `subject "${subject.slice(0, 40)}" must be 1-128 letters, digits or ". @ : + _ -"` };
  let scopes: string[] = ['vitals:read'];
  if (o.scopes !== undefined) {
    scopes = [
      ...new Set(
        o.scopes
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => (s.includes(':') ? s : `vitals:${s}`)),
      ),
    ];
    const unknown = scopes.filter((s) => !Scope.safeParse(s).success);
    if (!scopes.length || unknown.length)
      return {
        ok: false,
        error:
          `${unknown.length ? `unknown scope${unknown.length > 1 ? 's' : ''} ${quoted(unknown)}` : 'no scope given'}` +
          `; choose from ${Scope.options.join(', ')} (comma-separated)`,
      };
  }
  let expires: string | undefined;
  if (o.expiresIn !== undefined) {
    const ms = parseDuration(o.expiresIn);
    if (ms === undefined || ms <= 0 || ms > MAX_DURATION_MS)
      return {
        ok: false,
        error:
          `--expires-in "${o.expiresIn.slice(0, 40)}" must be a ` +
          `duration from 1s to ${formatDuration(MAX_DURATION_MS)}` +
          `, e.g. 90d or 12h`,
      };
    expires = new Date((o.now ?? Date.now()) + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  // 256 random bits: a static token needs no slow hash when it cannot be guessed.
  const token = randomBytes(32).toString('base64url');
  const sha256 = createHash('sha256').update(token).digest('hex');
  return {
    ok: true,
    token,
    entry:
      `- { subject: ${subject}, sha256: ${sha256}, scopes: [${scopes.join(', ')}` +
      `]${expires ? `, expires: "${expires}"` : ''} }`,
  };
}

export function tokenNew(o: TokenNewOptions): number {
  const r = newToken(o);
  if (!r.ok) {
    process.stderr.write(`vitals token new: ${r.error}\n`);
    return 2;
  }
  process.stdout.write(
    `token (give it to the client; it is stored nowhere):\n  ${r.token}\nconfig (http.auth.tokens):\n  ${r.entry}\n`,
  );
  return 0;
}
