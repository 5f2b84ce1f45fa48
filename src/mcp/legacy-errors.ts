import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';

/** The 2025-era code for a resource that does not exist (2026-07-28 answers -32602 with `data.uri`). */
const RESOURCE_NOT_FOUND_2025 = -32002;

/** The SDK's resource-not-found answer: -32602 whose data is exactly `{ uri }` (its own decoder's test). */
function isResourceNotFound(message: JSONRPCMessage): boolean {
  const error = (message as { error?: { code?: unknown; data?: unknown } }).error;
  if (error?.code !== -32602 || error.data === null || typeof error.data !== 'object') return false;
  const keys = Object.keys(error.data);
  return keys.length === 1 && keys[0] === 'uri' && typeof (error.data as { uri?: unknown }).uri === 'string';
}

/**
 * On a 2025-era connection, answers a read of a resource that does not exist with -32002, as the 2024-11-05 …
 * 2025-11-25 specs say. The v2 SDK encodes it as -32602 on every revision (2026-07-28 requires that, and asks
 * clients to accept either).
 */
export function legacyResourceErrors<T extends Transport>(transport: T): T {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if (!isResourceNotFound(message)) return send(message, options);
    const { error } = message as { error: Record<string, unknown> };
    return send({ ...message, error: { ...error, code: RESOURCE_NOT_FOUND_2025 } } as JSONRPCMessage, options);
  };
  return transport;
}
