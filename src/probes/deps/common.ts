import { readFileSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import { redactUrl } from '../../shared/redact.js';

export function elapsedSeconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

/** A short, redacted reason: the error code where Node gives one, else the first line of the message. */
export function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { reason?: unknown };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const messages: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by peer',
    ETIMEDOUT: 'timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'DNS lookup failed',
    EPIPE: 'connection closed',
    CERT_HAS_EXPIRED: 'TLS certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
    SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
    ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
  };
  if (code && messages[code]) return messages[code];
  const first = String(err?.message ?? e)
    .split('\n')[0]!
    .slice(0, 200);
  return redactUrl(code && !first.includes(code) ? `${code}: ${first}` : first) || 'unknown error';
}

export function certificateValues(cert: PeerCertificate | undefined): Record<string, number> {
  if (!cert?.valid_to) return {};
  const expires = Date.parse(cert.valid_to);
  if (!Number.isFinite(expires)) return {};
  return { certExpiryTimestampSeconds: expires / 1000, certDaysLeft: (expires - Date.now()) / 86_400_000 };
}

/** Judges `certDaysLeft` against warn/fail days: a failure reason, a warning, or nothing. */
export function certVerdict(
  values: Record<string, number>,
  warnDays: number,
  failDays: number,
): { error?: string; warning?: string } {
  const days = values.certDaysLeft;
  if (days === undefined) return {};
  const when = days < 0 ? `expired ${(-days).toFixed(1)} days ago` : `expires in ${days.toFixed(1)} days`;
  if (days <= failDays) return { error: `TLS certificate ${when}` };
  if (days <= warnDays) return { warning: `TLS certificate ${when}` };
  return {};
}

/**
 * A CA given as PEM text or as a path to a PEM file, read once at creation. A file that cannot be read
 * becomes the reason every run fails, rather than an exception that would stop the daemon starting.
 */
export function loadCa(ca: string | undefined): { ca?: string; error?: string } {
  if (ca === undefined) return {};
  if (ca.includes('-----BEGIN')) return { ca };
  try {
    return { ca: readFileSync(ca, 'utf8') };
  } catch (e) {
    return { error: `cannot read tls.ca (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}
