/** Redaction shared by every layer: secrets never reach logs, labels, tool output or errors. */

const REDACTED = '***';

/**
 * Keys whose values are secrets wherever they appear (config, headers, log objects): any key that names a
 * password, token, key, secret, cookie or credential, so `X-Api-Key`, `X-Auth-Token`, `clientSecret` and
 * `Proxy-Authorization` are covered as well as `password`.
 */
const SECRET_KEY = new RegExp(
  [
    'passw(or)?d|^pass$|pwd|secret|token|api[-_]?key|auth(orization|[-_]?key)?$|cookie|credential',
    'private[-_]?key|session[-_]?id|signature|sha256',
  ].join('|'),
  'i',
);

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

// The password runs to the last `@` of the authority, as URL parsers (and so the drivers) split it.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(?::([^\s/?#]*))?@(?=[^\s@/?#]*(?:[/?#\s]|$))/gi;
const QUERY_SECRET = /([?&](?:password|passwd|pass|token|access_token|api_?key|secret|sslpassword)=)[^&\s#]*/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** `postgres://user:pw@host/db?password=x` → `postgres://user:***@host/db?password=***`. */
export function redactUrl(text: string): string {
  return text
    .replace(URL_USERINFO, (_m, scheme: string, user: string, pass: string | undefined) =>
      pass === undefined ? `${scheme}${user}@` : `${scheme}${user}:${REDACTED}@`,
    )
    .replace(QUERY_SECRET, `$1${REDACTED}`)
    .replace(BEARER, `$1 ${REDACTED}`);
}

/** Scrubs URL credentials and any of the known secret values from free text (error messages). */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let out = redactUrl(text);
  for (const s of secrets) {
    if (s.length >= 3) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Deep copy with secret-named keys masked and URL credentials scrubbed from every string. */
export function redactDeep<T>(value: T): T {
  const walk = (v: unknown, key?: string): unknown => {
    // Only scalar values are masked: an `auth:` section keeps its shape, its secrets inside are masked by key.
    if (key !== undefined && isSecretKey(key) && (typeof v === 'string' || typeof v === 'number') && v !== '')
      return REDACTED;
    if (typeof v === 'string') return redactUrl(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, k);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/** Secret strings found in a config tree: passwords in URLs and values under secret-named keys. */
export function collectSecrets(value: unknown, out = new Set<string>()): Set<string> {
  const visit = (v: unknown, key?: string) => {
    if (typeof v === 'string') {
      if (key !== undefined && isSecretKey(key) && v) out.add(v);
      for (const m of v.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:([^\s/?#]+)@(?=[^\s@/?#]*(?:[/?#\s]|$))/gi))
        if (m[1]) {
          out.add(m[1]);
          try {
            out.add(decodeURIComponent(m[1]));
          } catch {
            /* not percent-encoded */
          }
        }
      for (const m of v.matchAll(/[?&](?:password|token|api_?key|secret)=([^&\s#]+)/gi)) if (m[1]) out.add(m[1]);
    } else if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  visit(value);
  return out;
}
