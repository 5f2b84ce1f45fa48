import type { PeerCertificate } from 'node:tls';
export { describeError } from '../../shared/describe-error.js';
export { loadCa } from '../../shared/tls-ca.js';

export function elapsedSeconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
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
