import { readFileSync } from 'node:fs';

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
