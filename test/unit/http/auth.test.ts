import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthConfig } from '../../../src/config/schema.js';
import { Authenticator, bearerToken, expandScopes, jwtScopes, sha256Hex } from '../../../src/http/auth.js';

const SECRET = 'x'.repeat(40);
const ISS = 'https://issuer.test';
const AUD = 'mcp-vitals';

const hs256 = async (
  claims: Record<string, unknown>,
  o: { exp?: number; nbf?: number; iss?: string; aud?: string; alg?: string; secret?: string } = {},
) => {
  const now = Math.floor(Date.now() / 1000);
  const j = new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'HS256' })
    .setIssuer(o.iss ?? ISS)
    .setAudience(o.aud ?? AUD)
    .setIssuedAt(now);
  j.setExpirationTime(now + (o.exp ?? 300));
  if (o.nbf !== undefined) j.setNotBefore(now + o.nbf);
  return j.sign(new TextEncoder().encode(o.secret ?? SECRET));
};

const auth = (extra: Record<string, unknown> = {}) =>
  new Authenticator(
    AuthConfig.parse({
      tokens: [
        { subject: 'ci', sha256: sha256Hex('token-ci'), scopes: ['vitals:read'] },
        { subject: 'ops', sha256: sha256Hex('token-ops').toUpperCase(), scopes: ['vitals:admin'] },
      ],
      jwt: { secret: SECRET, issuer: ISS, audience: AUD },
      ...extra,
    }),
    [{ subject: 'prom', sha256: sha256Hex('token-prom') }],
  );

describe('bearer tokens', () => {
  it('parses only the Bearer scheme with a token68 value', () => {
    expect(bearerToken('Bearer abc.def-ghi_~+/=')).toBe('abc.def-ghi_~+/=');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('vitals:admin stands for every scope; unknown scopes are dropped', () => {
    expect([...expandScopes(['vitals:admin'])].sort()).toEqual([
      'vitals:admin',
      'vitals:metrics',
      'vitals:read',
      'vitals:refresh',
    ]);
    expect([...expandScopes(['vitals:read', 'openid', 'vitals:nope'])]).toEqual(['vitals:read']);
  });

  it('reads scope (space-separated) and scp (array or string)', () => {
    expect(jwtScopes({ scope: 'a  b' })).toEqual(['a', 'b']);
    expect(jwtScopes({ scp: ['a', 1, 'b'] })).toEqual(['a', 'b']);
    expect(jwtScopes({ scp: 'a' })).toEqual(['a']);
    expect(jwtScopes({})).toEqual([]);
  });

  it(
    'matches static tokens by hash (hex case-insensitive), with their scopes; metrics tokens get ' +
      'vitals:metrics only',
    async () => {
      const a = auth();
      expect(await a.authenticate('Bearer token-ci')).toMatchObject({
        ok: true,
        principal: { subject: 'ci', kind: 'token' },
      });
      const ops = await a.authenticate('Bearer token-ops');
      expect(ops.ok && ops.principal.scopes.has('vitals:refresh')).toBe(true);
      const prom = await a.authenticate('Bearer token-prom');
      expect(prom.ok && [...prom.principal.scopes]).toEqual(['vitals:metrics']);
      expect(await a.authenticate('Bearer token-nope')).toEqual({
        ok: false,
        reason: 'invalid',
        description: 'unknown token',
      });
      expect(await a.authenticate(undefined)).toEqual({ ok: false, reason: 'missing' });
      expect(await a.authenticate('Basic dTpw')).toMatchObject({ ok: false, reason: 'invalid' });
    },
  );
});

describe('JWT (HS256)', () => {
  it('accepts a good token: subject from sub, scopes from scope', async () => {
    const r = await auth().authenticate(`Bearer ${await hs256({ sub: 'alice', scope: 'vitals:read vitals:refresh' })}`);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.principal.subject).toBe('alice');
      expect(r.principal.kind).toBe('jwt');
      expect([...r.principal.scopes].sort()).toEqual(['vitals:read', 'vitals:refresh']);
      expect(r.principal.expiresAt).toBeGreaterThan(Date.now() / 1000);
    }
  });

  it('falls back to client_id for machine tokens without sub', async () => {
    const r = await auth().authenticate(`Bearer ${await hs256({ client_id: 'robot', scope: 'vitals:read' })}`);
    expect(r.ok && r.principal.subject).toBe('robot');
  });

  it.each([
    ['expired beyond the skew', { exp: -120 }, /expired/],
    ['nbf beyond the skew', { nbf: 120 }, /not yet valid/],
    ['wrong audience', { aud: 'other' }, /audience/],
    ['wrong issuer', { iss: 'https://evil.test' }, /issuer/],
    ['wrong secret', { secret: 'y'.repeat(40) }, /signature/],
    ['HS512 when HS256 is configured', { alg: 'HS512' }, /algorithm/],
  ])('refuses %s', async (_name, o, reason) => {
    const r = await auth().authenticate(`Bearer ${await hs256({ sub: 'alice', scope: 'vitals:read' }, o)}`);
    expect(r).toMatchObject({ ok: false, reason: 'invalid' });
    if (!r.ok && r.reason === 'invalid') expect(r.description).toMatch(reason);
  });

  it('allows 30 s of clock skew either way by default', async () => {
    for (const o of [{ exp: -20 }, { nbf: 20 }])
      expect((await auth().authenticate(`Bearer ${await hs256({ sub: 'a', scope: 'vitals:read' }, o)}`)).ok).toBe(true);
  });

  it('refuses tokens without exp, without a subject, and unsigned (alg none)', async () => {
    const noExp = await new SignJWT({ sub: 'a' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISS)
      .setAudience(AUD)
      .sign(new TextEncoder().encode(SECRET));
    expect(await auth().authenticate(`Bearer ${noExp}`)).toMatchObject({
      ok: false,
      description: expect.stringMatching(/exp/),
    });
    expect(await auth().authenticate(`Bearer ${await hs256({ scope: 'vitals:read' })}`)).toMatchObject({
      ok: false,
      description: expect.stringMatching(/sub/),
    });
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { sub: 'a', iss: ISS, aud: AUD, exp: Math.floor(Date.now() / 1000) + 60 };
    const none = `${b64({ alg: 'none' })}.${b64(claims)}.`;
    expect((await auth().authenticate(`Bearer ${none}`)).ok).toBe(false);
  });

  it('never puts token content in the failure description', async () => {
    const token = await hs256({ sub: 'secret-subject-name', scope: 'vitals:read' }, { aud: 'other' });
    const r = await auth().authenticate(`Bearer ${token}`);
    expect(JSON.stringify(r)).not.toContain('secret-subject-name');
    expect(JSON.stringify(r)).not.toContain(token);
  });

  it('says "unavailable" (not the caller\'s fault) when the JWKS cannot be fetched', async () => {
    const a = new Authenticator(
      AuthConfig.parse({
        jwt: { jwksUrl: 'http://127.0.0.1:1/jwks.json', issuer: ISS, audience: AUD, jwksTimeout: '1s' },
      }),
    );
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ alg: 'ES256', kid: 'k' })}.${b64({ sub: 'a' })}.${b64({ sig: 1 })}`;
    expect(await a.authenticate(`Bearer ${token}`)).toMatchObject({ ok: false, reason: 'unavailable' });
  });
});

describe('http.auth config', () => {
  const issues = (doc: unknown) => {
    const r = AuthConfig.safeParse(doc);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('needs tokens or jwt', () => {
    expect(issues({})).toEqual([expect.stringMatching(/tokens.*give `tokens`, `jwt`/)]);
  });

  it('keeps hashes, never tokens: a value that is not 64 hex characters is refused with a hint', () => {
    expect(issues({ tokens: [{ subject: 'a', sha256: 'my-plain-token' }] })[0]).toMatch(/sha256sum/);
  });

  it('jwt: exactly one of secret and jwksUrl; short secrets, plain-http remote JWKS and HMAC with JWKS refused', () => {
    expect(issues({ jwt: { issuer: ISS, audience: AUD } })[0]).toMatch(/exactly one/);
    expect(
      issues({ jwt: { secret: SECRET, jwksUrl: 'https://idp.example/jwks', issuer: ISS, audience: AUD } })[0],
    ).toMatch(/exactly one/);
    expect(issues({ jwt: { secret: 'short', issuer: ISS, audience: AUD } })[0]).toMatch(/32 characters/);
    expect(issues({ jwt: { jwksUrl: 'http://idp.example/jwks', issuer: ISS, audience: AUD } })[0]).toMatch(/https/);
    expect(issues({ jwt: { jwksUrl: 'http://127.0.0.1:8080/jwks', issuer: ISS, audience: AUD } })).toEqual([]);
    expect(
      issues({ jwt: { jwksUrl: 'https://idp.example/jwks', issuer: ISS, audience: AUD, algorithms: ['HS256'] } })[0],
    ).toMatch(/HMAC/);
    expect(issues({ jwt: { secret: SECRET, issuer: ISS } })[0]).toMatch(/audience/);
  });
});
