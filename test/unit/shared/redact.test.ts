import { describe, expect, it } from 'vitest';
import { collectSecrets, redactDeep, redactText, redactUrl } from '../../../src/shared/redact.js';

describe('redaction', () => {
  it('masks URL passwords but keeps user, host and db', () => {
    expect(redactUrl('postgres://app:s3cr%40t@db:5432/orders')).toBe('postgres://app:***@db:5432/orders');
    expect(redactUrl('redis://:pw@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    // A literal @ in the password: parsers split at the last @ of the authority, and so must we.
    expect(redactUrl('postgres://vitals:Pre@TailSecret@127.0.0.1:5432/x')).toBe(
      'postgres://vitals:***@127.0.0.1:5432/x',
    );
    expect(redactUrl('redis://:a@b@c@cache')).toBe('redis://:***@cache');
    expect(redactUrl('see postgres://u:p@h/d and mailto:x@y')).toBe('see postgres://u:***@h/d and mailto:x@y');
    expect(redactUrl('https://h/x?token=abc&x=1')).toBe('https://h/x?token=***&x=1');
    expect(redactUrl('Authorization: Bearer eyJabc.def')).toBe('Authorization: Bearer ***');
  });
  it('scrubs known secrets from free text', () => {
    expect(redactText('auth failed for hunter2!', ['hunter2'])).toBe('auth failed for ***!');
  });
  it('collects secrets from config and masks secret keys deeply', () => {
    const cfg = { checks: [{ url: 'postgres://u:pw123@h/d' }, { headers: { Authorization: 'Bearer tok' } }] };
    expect([...collectSecrets(cfg)].sort()).toEqual(['Bearer tok', 'pw123']);
    expect([...collectSecrets({ url: 'postgres://u:Pre@Tail@h/d' })]).toEqual(['Pre@Tail']);
    expect(redactDeep(cfg)).toEqual({
      checks: [{ url: 'postgres://u:***@h/d' }, { headers: { Authorization: '***' } }],
    });
  });
});

describe('secret keys', () => {
  it('covers header and config spellings', async () => {
    const { isSecretKey } = await import('../../../src/shared/redact.js');
    for (const k of [
      'password',
      'PGPASSWORD',
      'X-Api-Key',
      'x-auth-token',
      'Authorization',
      'Proxy-Authorization',
      'clientSecret',
      'Cookie',
      'privateKey',
      'sha256',
      'token',
    ])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of ['url', 'name', 'host', 'timeout', 'author', 'authorizationServers', 'kind'])
      expect(isSecretKey(k), k).toBe(false);
  });
  it('keeps the shape of sections named like secrets', () => {
    expect(redactDeep({ auth: { tokens: [{ subject: 'a', sha256: 'abc' }] }, headers: { 'X-Api-Key': 'k1' } })).toEqual(
      { auth: { tokens: [{ subject: 'a', sha256: '***' }] }, headers: { 'X-Api-Key': '***' } },
    );
  });
});
