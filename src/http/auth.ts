import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig, HttpConfig, Scope } from '../config/schema.js';

/** Who is calling, once a bearer token checked out. */
export interface Principal {
  /** Stable name for logs and rate-limit keys: the static token's subject, or the JWT's `sub`. */
  subject: string;
  /** `token` (static bearer token) or `jwt`; keeps a JWT `sub` from colliding with a token subject. */
  kind: 'token' | 'jwt';
  scopes: ReadonlySet<Scope>;
  /** Seconds since the epoch, for JWTs. */
  expiresAt?: number;
}

export type AuthFailure =
  /** No `Authorization: Bearer` header at all. */
  | { reason: 'missing' }
  /** A token was given and is not acceptable (unknown, bad signature, expired, wrong audience…). */
  | { reason: 'invalid'; description: string }
  /** The token could not be checked right now (JWKS unreachable): not the caller's fault. */
  | { reason: 'unavailable'; description: string };

export type AuthResult = { ok: true; principal: Principal } | ({ ok: false } & AuthFailure);

const ALL_SCOPES: readonly Scope[] = ['vitals:read', 'vitals:refresh', 'vitals:admin', 'vitals:metrics'];
const isScope = (s: string): s is Scope => (ALL_SCOPES as readonly string[]).includes(s);

/** `vitals:admin` stands for every scope, so an admin token never has to list them all. */
export function expandScopes(scopes: Iterable<string>): Set<Scope> {
  const out = new Set<Scope>();
  for (const s of scopes) if (isScope(s)) out.add(s);
  if (out.has('vitals:admin')) for (const s of ALL_SCOPES) out.add(s);
  return out;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The token from `Authorization: Bearer <token>`; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(header);
  return m?.[1];
}

/** Scopes from a JWT: `scope` (space-separated, RFC 9068) or `scp` (array or string, as Azure AD and Okta send). */
export function jwtScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(/\s+/).filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

interface HashedToken {
  hash: Buffer;
  subject: string;
  scopes: ReadonlySet<Scope>;
  /** Seconds since the epoch after which the token is refused. */
  expiresAt?: number;
}

class KeySourceUnavailable extends Error {}

/**
 * Checks bearer tokens: static ones by SHA-256 hash in constant time, JWTs with jose (HS256 secret, or
 * RS/ES keys from a JWKS URL). Never logs or keeps a token; error descriptions name the claim, not the value.
 */
export class Authenticator {
  private readonly tokens: HashedToken[];
  private readonly verifyJwt?: (token: string) => Promise<Principal>;

  constructor(auth: AuthConfig | undefined, metricsTokens: HttpConfig['metricsAuth']['tokens'] = []) {
    this.tokens = [
      ...(auth?.tokens ?? []).map((t) => ({
        hash: Buffer.from(t.sha256, 'hex'),
        subject: t.subject,
        scopes: expandScopes(t.scopes),
        ...(t.expires ? { expiresAt: Math.floor(Date.parse(t.expires) / 1000) } : {}),
      })),
      // Tokens for Prometheus: they open /metrics and nothing else.
      ...metricsTokens.map((t) => ({
        hash: Buffer.from(t.sha256, 'hex'),
        subject: t.subject,
        scopes: new Set<Scope>(['vitals:metrics']),
      })),
    ];
    const jwt = auth?.jwt;
    if (jwt) {
      const key: Uint8Array | JWTVerifyGetKey =
        jwt.secret !== undefined ? new TextEncoder().encode(jwt.secret) : remoteKeys(jwt.jwksUrl!, jwt);
      const algorithms = jwt.algorithms ?? (jwt.secret !== undefined ? ['HS256'] : ['RS256', 'ES256']);
      const options = {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms,
        clockTolerance: Math.round(jwt.clockSkew / 1000),
        // A token that never expires is a credential for life; refuse it.
        requiredClaims: ['exp'],
      };
      this.verifyJwt = async (token) => {
        const { payload } =
          typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
        const subject = [payload.sub, payload.client_id, payload.azp].find(
          (s): s is string => typeof s === 'string' && s.length > 0 && s.length <= 256,
        );
        if (!subject) throw new joseErrors.JWTClaimValidationFailed('missing "sub" claim', payload, 'sub', 'missing');
        return {
          subject,
          kind: 'jwt',
          scopes: expandScopes(jwtScopes(payload)),
          ...(payload.exp !== undefined ? { expiresAt: payload.exp } : {}),
        };
      };
    }
  }

  /** True when any credential is configured at all. */
  get configured(): boolean {
    return this.tokens.length > 0 || this.verifyJwt !== undefined;
  }

  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    const token = bearerToken(authorization);
    if (token === undefined)
      return authorization
        ? { ok: false, reason: 'invalid', description: 'expected "Authorization: Bearer <token>"' }
        : { ok: false, reason: 'missing' };
    const staticMatch = this.matchStatic(token);
    if (staticMatch) {
      if (staticMatch.expiresAt !== undefined && staticMatch.expiresAt * 1000 <= Date.now())
        return { ok: false, reason: 'invalid', description: 'token expired' };
      return { ok: true, principal: staticMatch };
    }
    if (this.verifyJwt && token.split('.').length === 3) {
      try {
        return { ok: true, principal: await this.verifyJwt(token) };
      } catch (e) {
        if (e instanceof KeySourceUnavailable)
          return { ok: false, reason: 'unavailable', description: 'signing keys unavailable; try again shortly' };
        return { ok: false, reason: 'invalid', description: describeJwtError(e) };
      }
    }
    return { ok: false, reason: 'invalid', description: 'unknown token' };
  }

  /** Compares against every configured hash, whatever matched, so timing says nothing about which or whether. */
  private matchStatic(token: string): Principal | undefined {
    if (!this.tokens.length) return undefined;
    const presented = createHash('sha256').update(token).digest();
    let found: HashedToken | undefined;
    for (const t of this.tokens) if (timingSafeEqual(presented, t.hash) && !found) found = t;
    return found
      ? {
          subject: found.subject,
          kind: 'token',
          scopes: found.scopes,
          ...(found.expiresAt !== undefined ? { expiresAt: found.expiresAt } : {}),
        }
      : undefined;
  }
}

function remoteKeys(url: string, jwt: NonNullable<AuthConfig['jwt']>): JWTVerifyGetKey {
  const jwks = createRemoteJWKSet(new URL(url), {
    cooldownDuration: jwt.jwksCooldown,
    timeoutDuration: jwt.jwksTimeout,
  });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (e) {
      // An unknown kid is the token's problem; a fetch that failed is ours.
      if (
        e instanceof joseErrors.JWKSNoMatchingKey ||
        e instanceof joseErrors.JWKSMultipleMatchingKeys ||
        e instanceof joseErrors.JOSENotSupported
      )
        throw e;
      throw new KeySourceUnavailable('JWKS fetch failed', { cause: e });
    }
  };
}

/** A short reason for `error_description`, naming the failed check and never echoing token content. */
function describeJwtError(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'token expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return 'token not yet valid';
    if (e.claim === 'aud') return 'token audience is not this server';
    if (e.claim === 'iss') return 'token issuer not accepted';
    return `token claim "${e.claim}" ${e.reason === 'missing' ? 'missing' : 'invalid'}`;
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not accepted';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'token signed with an unknown key';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature invalid';
  return 'malformed token';
}
