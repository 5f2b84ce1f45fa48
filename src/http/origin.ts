import { isIP } from 'node:net';

/**
 * DNS-rebinding defence. A rebinding attack needs a browser to reach us under a DNS name the attacker
 * controls, so the Host header then carries that name: hosts that are IP literals are always safe, names
 * must be listed. Origin (sent by browsers only) must be loopback or listed.
 */
export interface OriginPolicyOptions {
  /** The host we listen on; a name (not a wildcard address) is accepted as a Host. */
  listenHost: string;
  /** Check Host at all (see hostCheckNeeded). */
  checkHost: boolean;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
}

/**
 * Rebinding matters where nothing else stops a browser: a loopback daemon (the classic target) and any daemon
 * without authentication. A non-loopback bind with bearer auth is reached under names we cannot guess
 * (Service DNS, ingress hosts) and browsers cannot attach a bearer token, so Host is checked there only when
 * `allowedHosts` is given.
 */
export function hostCheckNeeded(o: {
  listenLoopback: boolean;
  authConfigured: boolean;
  allowedHosts: readonly string[];
}): boolean {
  return o.allowedHosts.length > 0 || o.listenLoopback || !o.authConfigured;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

/** "Example.com:9464" → "example.com"; "[::1]:80" → "[::1]"; undefined when malformed. */
export function hostName(hostHeader: string): string | undefined {
  const h = hostHeader.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(h);
  if (!m) return undefined;
  const name = m[1]!;
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

const isIpLiteral = (name: string) => isIP(name.startsWith('[') ? name.slice(1, -1) : name) !== 0;

function matchesHostPattern(name: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return name.endsWith(p.slice(1)) && name.length > p.length - 1;
  return name === p;
}

export class OriginPolicy {
  private readonly hosts: string[];
  private readonly origins: string[];
  private readonly listenName: string | undefined;
  private readonly checkHost: boolean;

  constructor(options: OriginPolicyOptions) {
    const listen = options.listenHost.toLowerCase();
    const listenName = listen.includes(':') && !listen.startsWith('[') ? `[${listen}]` : listen;
    this.listenName = WILDCARD_ADDRESSES.has(listen) ? undefined : listenName;
    this.hosts = [...options.allowedHosts.map((h) => h.toLowerCase()), ...(this.listenName ? [this.listenName] : [])];
    this.checkHost = options.checkHost;
    this.origins = options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, ''));
  }

  hostAllowed(hostHeader: string | undefined): boolean {
    // HTTP/1.1 requires Host; a request without one did not come from a browser.
    if (!this.checkHost || hostHeader === undefined) return true;
    const name = hostName(hostHeader);
    if (name === undefined) return false;
    if (LOOPBACK_NAMES.has(name) || isIpLiteral(name)) return true;
    return this.hosts.some((p) => matchesHostPattern(name, p));
  }

  originAllowed(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      // "null" (sandboxed frames, file://) and garbage alike.
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const name = url.hostname.toLowerCase();
    if (LOOPBACK_NAMES.has(name) || name === this.listenName) return true;
    const normalized = `${url.protocol}//${url.host}`.toLowerCase();
    return this.origins.some((p) => {
      if (p === '*') return true;
      const m = /^(https?:)\/\/\*\.(.+)$/.exec(p);
      if (m) return url.protocol === m[1] && matchesHostPattern(url.host, `*.${m[2]}`);
      return p === normalized;
    });
  }
}
