import { redactUrl } from './redact.js';

/**
 * Why a connection to a remote server failed, in a few words (probes and the fleet clients alike): the error
 * code where Node gives one, else the first line of the message, redacted.
 */
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
