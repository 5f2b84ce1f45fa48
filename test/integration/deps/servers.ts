import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface LocalServer {
  server: Server;
  port: number;
  /** Requests in arrival order, for assertions on what the probe sent. */
  seen: SeenRequest[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** Starts a server on a free loopback port; `handler` sees each request with its body read. */
export async function listen(handler: Handler, tls?: { key: string; cert: string }): Promise<LocalServer> {
  const seen: SeenRequest[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, body, res);
    });
  };
  const server = (tls ? createHttpsServer(tls, onRequest) : createServer(onRequest)) as Server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as { port: number }).port,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface SelfSigned {
  key: string;
  cert: string;
  certPath: string;
  /** notAfter as epoch seconds, as openssl reports it. */
  notAfter: number;
}

/** A self-signed certificate for localhost and 127.0.0.1, valid for `days`, made by the openssl CLI. */
export function selfSigned(days: number): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      String(days),
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const end = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-enddate'], { encoding: 'utf8' })
    .trim()
    .replace(/^notAfter=/, '');
  return {
    key: readFileSync(keyPath, 'utf8'),
    cert: readFileSync(certPath, 'utf8'),
    certPath,
    notAfter: Date.parse(end) / 1000,
  };
}
