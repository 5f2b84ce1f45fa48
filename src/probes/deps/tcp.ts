import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { InstanceConfig } from '../registry.js';
import type { Observation, Probe } from '../types.js';
import { certificateValues, describeError, elapsedSeconds } from './common.js';

type TcpConfig = InstanceConfig<'tcp'>;

export function describe(c: TcpConfig): string {
  return `${c.host}:${c.port}`;
}

/** TCP connect time, optionally with a TLS handshake (and the certificate's days left). */
export function create(c: TcpConfig): Probe<Observation> {
  return {
    kind: 'tcp',
    run: (signal) =>
      new Promise<Observation>((resolve) => {
        const started = process.hrtime.bigint();
        const tls = c.tls === false ? undefined : c.tls === true ? { insecureSkipVerify: false } : c.tls;
        let connectedAt: number | undefined;
        const socket: Socket | TLSSocket = tls
          ? tlsConnect({ host: c.host, port: c.port!, servername: 'servername' in tls && tls.servername ? tls.servername : c.host, rejectUnauthorized: !tls.insecureSkipVerify })
          : netConnect({ host: c.host!, port: c.port! });
        const finish = (o: Observation) => {
          signal.removeEventListener('abort', onAbort);
          socket.destroy();
          resolve(o);
        };
        const onAbort = () => finish({ ok: false, values: {}, error: 'timed out' });
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('connect', () => {
          connectedAt = elapsedSeconds(started);
          if (!tls) finish({ ok: true, values: { responseTimeSeconds: connectedAt, connectSeconds: connectedAt } });
        });
        socket.once('secureConnect', () => {
          const total = elapsedSeconds(started);
          const values: Record<string, number> = { responseTimeSeconds: total, connectSeconds: connectedAt ?? total, tlsSeconds: total - (connectedAt ?? total) };
          Object.assign(values, certificateValues((socket as TLSSocket).getPeerCertificate()));
          finish({ ok: true, values });
        });
        socket.once('error', (e) => finish({ ok: false, values: {}, error: describeError(e) }));
      }),
  };
}
