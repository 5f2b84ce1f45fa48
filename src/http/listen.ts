import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:80", "localhost:9464". */
export function parseListen(listen: string): ListenAddress {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:\s]+)):(\d{1,5})$/i.exec(listen.trim());
  if (!m) throw new Error(`invalid listen address "${listen}" (expected host:port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in "${listen}"`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Only loopback binds are safe without authentication. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}
