type Json = Record<string, any>;

/**
 * Records every message a connected transport receives, raw (before a client's schema strips fields it does not
 * know).
 */
export function recordInbound(
  transport: { onmessage?: ((m: any, extra?: any) => void) | undefined },
  into: Json[],
): void {
  const handler = transport.onmessage;
  transport.onmessage = (m, extra) => {
    into.push(m as Json);
    handler?.(m, extra);
  };
}

/** The `notifications/resources/updated` for `uri` among recorded messages. */
export const resourceUpdates = (messages: Json[], uri: string): Json[] =>
  messages.filter((m) => m.method === 'notifications/resources/updated' && m.params?.uri === uri);
