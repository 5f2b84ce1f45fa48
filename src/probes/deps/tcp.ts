import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Observation, Probe } from '../types.js';
import type { ProbeConfig } from './kind.js';
import type { kind } from './tcp.schema.js';
import { certificateValues, certVerdict, describeError, elapsedSeconds, loadCa } from './common.js';

type TcpConfig = ProbeConfig<typeof kind>;

export function describe(c: TcpConfig): string {
  return `${c.host}:${c.port}`;
}

const TLS_DEFAULTS = { insecureSkipVerify: false, certWarnDays: 14, certFailDays: 7 } as const;

/**
 * TCP connect time, optionally with a TLS handshake and the certificate's days left. Without TLS this
 * only proves the port accepts connections: a server that accepts and then never answers passes.
 */
export function create(c: TcpConfig): Probe<Observation> {
  const tls = c.tls === false ? undefined : c.tls === true ? { ...TLS_DEFAULTS } : c.tls;
  const { ca, error: caError } = loadCa(tls && 'ca' in tls ? tls.ca : undefined);
  const timedOut = (): Observation => ({ ok: false, values: {}, error: 'timed out' });

  /** One connection; `onAbort` registers what ends it early and returns the undo. */
  const connect = (onAbort: (abort: () => void) => (() => void) | undefined): Promise<Observation> =>
    new Promise<Observation>((resolve) => {
      if (caError) return resolve({ ok: false, values: {}, error: caError });
      const started = process.hrtime.bigint();
      let connectedAt: number | undefined;
      let done = false;
      const servername = tls && 'servername' in tls && tls.servername ? tls.servername : c.host!;
      const socket: Socket | TLSSocket = tls
        ? tlsConnect({
            host: c.host,
            port: c.port!,
            servername,
            rejectUnauthorized: !tls.insecureSkipVerify,
            ...(ca ? { ca } : {}),
          })
        : netConnect({ host: c.host!, port: c.port! });
      let undo: (() => void) | undefined;
      // `on`, not `once`: the first of these events ends the run and destroys the socket, after which none
      // fires again; `done` guards the rest (once's wrappers are three allocations per run for nothing).
      const finish = (o: Observation) => {
        if (done) return;
        done = true;
        undo?.();
        socket.destroy();
        resolve(o);
      };
      undo = onAbort(() => finish(timedOut()));
      if (done) return;
      socket.on('error', (e) => finish({ ok: false, values: {}, error: describeError(e) }));
      if (!tls) {
        socket.on('connect', () => {
          connectedAt = elapsedSeconds(started);
          finish({ ok: true, values: { responseTimeSeconds: connectedAt, connectSeconds: connectedAt } });
        });
        return;
      }
      socket.on('connect', () => {
        connectedAt = elapsedSeconds(started);
      });
      socket.on('secureConnect', () => {
        const total = elapsedSeconds(started);
        const values: Record<string, number> = {
          responseTimeSeconds: total,
          connectSeconds: connectedAt ?? total,
          tlsSeconds: total - (connectedAt ?? total),
        };
        Object.assign(values, certificateValues((socket as TLSSocket).getPeerCertificate()));
        const cert = certVerdict(values, tls.certWarnDays, tls.certFailDays);
        finish({
          ok: !cert.error,
          values,
          ...(cert.error ? { error: cert.error } : {}),
          ...(cert.warning ? { warnings: [cert.warning] } : {}),
        });
      });
    });

  return {
    kind: 'tcp',
    run: (signal) =>
      connect((abort) => {
        if (signal.aborted) {
          abort();
          return undefined;
        }
        signal.addEventListener('abort', abort, { once: true });
        return () => signal.removeEventListener('abort', abort);
      }),
    // The monitor's path: no signal, so no AbortController per run.
    runWithHook: (hook) =>
      connect((abort) => {
        hook.onAbort(abort);
        return undefined;
      }),
  };
}
