import type { CallToolResult, JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import { keepResultText } from './result-text.js';

type Id = string | number;
/** The server's own tools/call handler (middleware's toolCallHandler): never throws, answers errors as results. */
export type DirectCall = (
  request: { params: { name: string; arguments?: Record<string, unknown> } },
  extra: unknown,
) => Promise<CallToolResult>;

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

/**
 * A `tools/call` the SDK would take exactly as sent: the request keys only, a string or safe-integer id, params
 * with `name` (a string) and `arguments` (absent or an object) and nothing else: no `_meta`, no `task`.
 */
function plainToolCall(message: JSONRPCMessage): message is JSONRPCMessage & {
  id: Id;
  params: { name: string; arguments?: Record<string, unknown> };
} {
  const m = message as { method?: unknown; id?: unknown; params?: unknown };
  if (m.method !== 'tools/call' || (typeof m.id !== 'string' && !Number.isSafeInteger(m.id))) return false;
  for (const k in m) if (!REQUEST_KEYS.has(k)) return false;
  const p = m.params as Record<string, unknown> | undefined;
  if (p === null || typeof p !== 'object' || Array.isArray(p) || typeof p.name !== 'string') return false;
  for (const k in p) if (k !== 'name' && k !== 'arguments') return false;
  const a = p.arguments;
  return a === undefined || (a !== null && typeof a === 'object' && !Array.isArray(a));
}

/**
 * stdio `tools/call` answered straight from our handler when its result is one the SDK has already checked and
 * answered on this connection (a tool's kept answer, the same object until the snapshot changes): the SDK's
 * per-request work (its message classification, context and abort signal, request and result validation) was
 * most of a call's cost in the daemon, the same for every repeat of an unchanged answer. The answer sent is the
 * SDK's own checked copy of that result, with its JSON text kept (result-text.ts), so the bytes are the SDK's.
 *
 * Any other request, and a result not seen before, goes through the SDK as it came; for the latter the handler
 * has already run, and the server's SDK handler answers with that result (`take`) rather than running it twice.
 * Only for a 2025-era server (the one `serve` is given): 2026-07-28 answers carry per-response fields.
 * Telemetry sees every message and response as before: this sits inside the observed transport.
 */
export class DirectCalls {
  private call: DirectCall | undefined;
  /** Results the SDK has checked and answered on this connection, to the copy it answered with. */
  private readonly checked = new WeakMap<object, CallToolResult>();
  /** Results already computed for requests handed on to the SDK, by id, until its handler takes them. */
  private readonly handedOn = new Map<Id, CallToolResult>();
  /** Requests handed on whose answer is kept once the SDK sends it, to the result computed for them. */
  private readonly awaiting = new Map<Id, CallToolResult>();
  /** Requests answered here and not yet answered, and those of them the client cancelled (they get no answer). */
  private readonly inFlight = new Set<Id>();
  private readonly cancelled = new Set<Id>();
  private closed = false;

  /** The connection's 2025-era server has its tools loaded: its calls may be answered here from now on. */
  serve(call: DirectCall): void {
    this.call = call;
  }

  /** The result already computed for a request handed on to the SDK, once; undefined for any other request. */
  take(id: Id | undefined): CallToolResult | undefined {
    if (id === undefined || this.handedOn.size === 0) return undefined;
    const result = this.handedOn.get(id);
    if (result) this.handedOn.delete(id);
    return result;
  }

  /** The transport to hand to serveStdio in place of `inner` (the observed stdio transport). */
  wrap(inner: Transport): Transport {
    const outer: Transport = {
      start: () => inner.start(),
      send: (message, options) => {
        if (this.awaiting.size > 0) this.sent(message);
        return inner.send(message, options);
      },
      close: () => {
        this.closed = true;
        return inner.close();
      },
    };
    inner.onmessage = (message, extra) => {
      if (!this.answer(message, inner, outer, extra)) outer.onmessage?.(message, extra);
    };
    inner.onerror = (e) => outer.onerror?.(e);
    inner.onclose = () => {
      this.closed = true;
      outer.onclose?.();
    };
    return outer;
  }

  /** Takes a plain tools/call on: true when it is answered here (or handed on once its handler ran). */
  private answer(message: JSONRPCMessage, inner: Transport, outer: Transport, extra?: MessageExtraInfo): boolean {
    const call = this.call;
    if (!call || this.closed) return false;
    if ('method' in message && message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof id !== 'string' && typeof id !== 'number') return false;
      if (this.inFlight.has(id)) this.cancelled.add(id);
      this.awaiting.delete(id);
      return false;
    }
    if (!plainToolCall(message)) return false;
    const { id } = message;
    this.inFlight.add(id);
    // A handler that failed (ours never do) is left to the SDK to run and answer.
    const handOn = () => {
      this.inFlight.delete(id);
      if (!this.cancelled.delete(id) && !this.closed) outer.onmessage?.(message, extra);
    };
    call(message, undefined).then((result) => {
      this.inFlight.delete(id);
      // The SDK answers nothing to a request its client cancelled; neither does this.
      if (this.cancelled.delete(id) || this.closed) return;
      const answer = this.checked.get(result);
      if (answer) {
        inner.send({ result: answer, jsonrpc: '2.0', id } as JSONRPCMessage).catch((e) => outer.onerror?.(e));
        return;
      }
      this.handedOn.set(id, result);
      this.awaiting.set(id, result);
      outer.onmessage?.(message, extra);
    }, handOn);
    return true;
  }

  /** The SDK's answer to a request handed on: its checked copy of the result is kept for the next time. */
  private sent(message: JSONRPCMessage): void {
    const m = message as { id?: unknown; method?: unknown; result?: unknown };
    if (m.method !== undefined || (typeof m.id !== 'string' && typeof m.id !== 'number')) return;
    const result = this.awaiting.get(m.id);
    if (!result) return;
    this.awaiting.delete(m.id);
    if (typeof m.result !== 'object' || m.result === null) return;
    this.checked.set(result, m.result as CallToolResult);
    keepResultText(m.result);
  }
}
