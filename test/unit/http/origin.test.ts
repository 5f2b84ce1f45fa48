import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostCheckNeeded, hostName, OriginPolicy } from '../../../src/http/origin.js';
import { isInitialize, requestId, validateMessages } from '../../../src/http/jsonrpc.js';
import { routePolicy } from '../../../src/http/security.js';
import { HttpConfig } from '../../../src/config/schema.js';

describe('Host and Origin (DNS rebinding)', () => {
  const loopback = new OriginPolicy({ listenHost: '127.0.0.1', checkHost: true, allowedHosts: [], allowedOrigins: [] });
  const named = new OriginPolicy({
    listenHost: 'vitals.internal',
    checkHost: true,
    allowedHosts: ['vitals.example.com', '*.svc.cluster.local'],
    allowedOrigins: ['https://app.example.com', 'https://*.tools.example'],
  });
  const wildcard = new OriginPolicy({ listenHost: '0.0.0.0', checkHost: true, allowedHosts: [], allowedOrigins: [] });

  it('parses Host headers', () => {
    expect(hostName('Example.COM:9464')).toBe('example.com');
    expect(hostName('[::1]:80')).toBe('[::1]');
    expect(hostName('example.com.')).toBe('example.com');
    expect(hostName('a b')).toBeUndefined();
    expect(hostName('user@host')).toBeUndefined();
  });

  it('accepts loopback names and IP literals on any port, refuses other names unless listed', () => {
    for (const h of ['localhost:9464', '127.0.0.1:1', '[::1]:9464', '10.0.0.7:9464', '[fe80::1]', 'localhost'])
      expect(loopback.hostAllowed(h), h).toBe(true);
    for (const h of ['attacker.example', 'localhost.attacker.example:9464', 'vitals.internal', ''])
      expect(loopback.hostAllowed(h), h).toBe(false);
    expect(loopback.hostAllowed(undefined)).toBe(true);
  });

  it('accepts the listen host and allow-listed names, with *.suffix wildcards', () => {
    for (const h of ['vitals.internal:9464', 'VITALS.example.com', 'vitals.monitoring.svc.cluster.local:80'])
      expect(named.hostAllowed(h), h).toBe(true);
    for (const h of ['svc.cluster.local', 'example.com', 'evil-vitals.example.com'])
      expect(named.hostAllowed(h), h).toBe(false);
    // A wildcard bind names no host of its own.
    expect(wildcard.hostAllowed('0.0.0.0:9464')).toBe(true);
    expect(wildcard.hostAllowed('vitals.example.com')).toBe(false);
  });

  it(
    'checks Host on loopback binds and without auth; on an authenticated non-loopback bind only when hosts are ' +
      'listed',
    () => {
      expect(hostCheckNeeded({ listenLoopback: true, authConfigured: true, allowedHosts: [] })).toBe(true);
      expect(hostCheckNeeded({ listenLoopback: false, authConfigured: false, allowedHosts: [] })).toBe(true);
      expect(hostCheckNeeded({ listenLoopback: false, authConfigured: true, allowedHosts: [] })).toBe(false);
      expect(
        hostCheckNeeded({ listenLoopback: false, authConfigured: true, allowedHosts: ['vitals.example.com'] }),
      ).toBe(true);
      const off = new OriginPolicy({ listenHost: '0.0.0.0', checkHost: false, allowedHosts: [], allowedOrigins: [] });
      expect(off.hostAllowed('mcp-vitals.monitoring.svc')).toBe(true);
      // Origin is still checked: browsers send it whatever the Host.
      expect(off.originAllowed('https://evil.example')).toBe(false);
    },
  );

  it('accepts no Origin (non-browser clients), loopback origins on any port, and listed ones', () => {
    expect(loopback.originAllowed(undefined)).toBe(true);
    for (const o of ['http://localhost:5173', 'https://127.0.0.1', 'http://[::1]:3000'])
      expect(loopback.originAllowed(o), o).toBe(true);
    for (const o of [
      'null',
      'https://evil.example',
      'file://',
      'chrome-extension://abc',
      'http://localhost.evil.example',
      'garbage',
    ])
      expect(loopback.originAllowed(o), o).toBe(false);
    expect(named.originAllowed('https://app.example.com')).toBe(true);
    expect(named.originAllowed('http://app.example.com')).toBe(false);
    expect(named.originAllowed('https://app.example.com:8443')).toBe(false);
    expect(named.originAllowed('https://x.tools.example')).toBe(true);
    expect(named.originAllowed('https://tools.example')).toBe(false);
    expect(named.originAllowed('http://vitals.internal:9464')).toBe(true);
  });
});

describe('JSON-RPC shape', () => {
  it('accepts requests, notifications, responses and batches', () => {
    expect(validateMessages({ jsonrpc: '2.0', id: 1, method: 'ping' }).ok).toBe(true);
    expect(validateMessages({ jsonrpc: '2.0', method: 'notifications/initialized' }).ok).toBe(true);
    expect(validateMessages({ jsonrpc: '2.0', id: 'a', result: {} }).ok).toBe(true);
    expect(
      validateMessages([
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { jsonrpc: '2.0', method: 'x' },
      ]).ok,
    ).toBe(true);
  });

  it('refuses other JSON as Invalid Request (-32600), keeping a usable id', () => {
    for (const body of [
      {},
      [],
      42,
      'x',
      null,
      { jsonrpc: '1.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 1.5, method: 'ping' },
      { jsonrpc: '2.0', id: 1, method: 'ping', extra: 1 },
    ]) {
      const r = validateMessages(body);
      expect(r.ok, JSON.stringify(body)).toBe(false);
      if (!r.ok) expect(r.error.error.code).toBe(-32600);
    }
    const r = validateMessages({ jsonrpc: '2.0', id: 'k', method: 5 });
    expect(!r.ok && r.error.id).toBe('k');
    expect(requestId([{ id: 1 }])).toBeNull();
    expect(requestId({ id: { a: 1 } })).toBeNull();
    expect(isInitialize({ jsonrpc: '2.0', id: 1, method: 'initialize' })).toBe(true);
    expect(isInitialize([{ method: 'initialize' }])).toBe(false);
  });
});

describe('JSON-RPC fast path', () => {
  it('agrees with the SDK schema on every message (property)', () => {
    const msg = fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue()),
        id: fc.oneof(fc.integer(), fc.string(), fc.double(), fc.constant(null), fc.constant(2 ** 60)),
        method: fc.oneof(fc.constant('ping'), fc.jsonValue()),
        params: fc.oneof(
          fc.object(),
          fc.jsonValue(),
          fc.record({ _meta: fc.oneof(fc.object(), fc.jsonValue(), fc.record({ progressToken: fc.jsonValue() })) }),
        ),
        result: fc.object(),
        error: fc.jsonValue(),
        other: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    // Mostly near-valid requests, where the fast path decides.
    const near = fc.record(
      {
        jsonrpc: fc.constant('2.0'),
        method: fc.string(),
        id: fc.oneof(fc.integer(), fc.string(), fc.double(), fc.constant(2 ** 60)),
        params: fc.oneof(fc.object(), fc.constant(null), fc.record({ _meta: fc.jsonValue() })),
      },
      { requiredKeys: ['jsonrpc', 'method'] },
    );
    fc.assert(
      fc.property(fc.oneof(msg, near), (m) => validateMessages(m).ok === JSONRPCMessageSchema.safeParse(m).success),
      { numRuns: 2000 },
    );
  });
});

describe('route policy', () => {
  const policy = (doc: unknown) => routePolicy(HttpConfig.parse(doc));
  const auth = { auth: { tokens: [{ subject: 'a', sha256: 'a'.repeat(64) }] } };

  it('everything open without auth (loopback only, enforced at bind)', () => {
    const p = policy({});
    for (const url of ['/mcp', '/health', '/metrics', '/livez', '/anything']) expect(p(url), url).toBe('open');
  });

  it(
    'with auth: probes and metadata open, /health and unknown routes need vitals:read, /metrics vitals:metrics ' +
      'or read',
    () => {
      const p = policy(auth);
      expect(p('/livez')).toBe('open');
      expect(p('/readyz')).toBe('open');
      expect(p('/.well-known/oauth-protected-resource')).toBe('open');
      expect(p('/mcp')).toEqual(['vitals:read']);
      expect(p('/health')).toEqual(['vitals:read']);
      expect(p('/status/api')).toEqual(['vitals:read']);
      expect(p('/metrics')).toEqual(['vitals:metrics', 'vitals:read']);
      expect(p(undefined)).toBe('open');
    },
  );

  it('openHealth and metricsAuth.open open those routes; metrics tokens alone protect /metrics only', () => {
    const p = policy({ ...auth, openHealth: true, metricsAuth: { open: true } });
    expect(p('/health')).toBe('open');
    expect(p('/metrics')).toBe('open');
    const m = policy({ metricsAuth: { tokens: [{ subject: 'prom', sha256: 'b'.repeat(64) }] } });
    expect(m('/metrics')).toEqual(['vitals:metrics', 'vitals:read']);
    expect(m('/mcp')).toBe('open');
  });
});
