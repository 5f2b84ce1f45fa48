import { parseJSONRPCMessage } from '@modelcontextprotocol/server';

/** JSON-RPC 2.0 error codes we answer with. */
export const JSONRPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  INTERNAL_ERROR: -32603,
  /** Implementation-defined server errors (-32000..-32099): HTTP-level refusals. */
  SERVER_ERROR: -32000,
  /** The SDK's code for an unknown or expired session. */
  SESSION_NOT_FOUND: -32001,
} as const;

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorBody {
  jsonrpc: '2.0';
  error: { code: number; message: string; data?: unknown };
  id: JsonRpcId;
}

export function jsonRpcError(code: number, message: string, id: JsonRpcId = null, data?: unknown): JsonRpcErrorBody {
  return { jsonrpc: '2.0', error: { code, message, ...(data !== undefined ? { data } : {}) }, id };
}

/** The id of a single request, when it has a usable one; batches and junk get null. */
export function requestId(body: unknown): JsonRpcId {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) ? id : null;
}

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

/**
 * The common case, a request or notification without `_meta`, checked by hand: exactly what the SDK's schema
 * accepts for it, at a fraction of a zod parse per request. Anything else goes to the schema.
 */
function isPlainRequest(m: unknown): boolean {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return false;
  const o = m as Record<string, unknown>;
  if (o.jsonrpc !== '2.0' || typeof o.method !== 'string') return false;
  for (const k in o) if (!REQUEST_KEYS.has(k)) return false;
  if ('id' in o && typeof o.id !== 'string' && !Number.isSafeInteger(o.id)) return false;
  const p = o.params;
  if (p === undefined) return true;
  return p !== null && typeof p === 'object' && !Array.isArray(p) && !('_meta' in p);
}

function isMessage(m: unknown): boolean {
  try {
    parseJSONRPCMessage(m);
    return true;
  } catch {
    return false;
  }
}

/**
 * Valid JSON that is not a JSON-RPC message is an Invalid Request (-32600). The SDK would answer -32700
 * for it, which tells a client its JSON did not parse when it did.
 */
export function validateMessages(body: unknown): { ok: true } | { ok: false; error: JsonRpcErrorBody } {
  const messages = Array.isArray(body) ? body : [body];
  if (messages.length === 0)
    return { ok: false, error: jsonRpcError(JSONRPC.INVALID_REQUEST, 'Invalid Request: empty batch') };
  for (const m of messages) {
    if (!isPlainRequest(m) && !isMessage(m)) {
      return {
        ok: false,
        error: jsonRpcError(
          JSONRPC.INVALID_REQUEST,
          'Invalid Request: not a JSON-RPC 2.0 message',
          Array.isArray(body) ? null : requestId(m),
        ),
      };
    }
  }
  return { ok: true };
}

export function isInitialize(body: unknown): boolean {
  return (
    body !== null &&
    typeof body === 'object' &&
    !Array.isArray(body) &&
    (body as { method?: unknown }).method === 'initialize'
  );
}
