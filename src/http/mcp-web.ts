import type { ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { toWebRequest } from '@modelcontextprotocol/node';
import { JSONRPC, type JsonRpcId, jsonRpcError } from './jsonrpc.js';
import type { McpRequest } from './mcp-sessions.js';

/** The SDK's fetch face: what `createMcpHandler` returns, reduced to what is called here. */
export interface FetchFace {
  fetch(request: Request, options?: { authInfo?: AuthInfo; parsedBody?: unknown }): Promise<Response>;
}

/**
 * The part of a web `Request` the SDK's 2026-07-28 path reads when it is handed the parsed body: method,
 * headers (the protocol-version, Mcp-Method, Mcp-Name and declared parameter headers, Content-Type), the
 * signal that ends the exchange when the client goes away, and the URL. `@modelcontextprotocol/node`'s
 * `toWebRequest` also re-serialises the body into the request and links a second signal to ours; under
 * `tools/call` load that was most of the adapter's cost, for bytes nobody reads again.
 */
function requestView(req: McpRequest, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const host = req.headers.host ?? 'localhost';
  const view = { method: (req.method ?? 'GET').toUpperCase(), url: `http://${host}${req.url ?? '/'}`, headers, signal };
  return view as unknown as Request;
}

/** A POST exchange whose JSON result may be written straight to the Node response (see `answerResult`). */
interface Exchange {
  res: ServerResponse;
  /** The id of the request the body carries; only its result is answered here. */
  id: unknown;
  answered: boolean;
}

/** Request views of the exchanges in flight; the SDK hands the view to the server factory as `requestInfo`. */
const exchanges = new WeakMap<object, Exchange>();

/**
 * Writes a JSON-RPC result for the exchange `request` belongs to as the SDK's per-request transport answers one
 * (200, application/json, the message as JSON), without the web `Response` it would build and this adapter
 * would read back: that round trip was the largest cost left on a 2026-07-28 call. False, and nothing written,
 * when the message is not this exchange's result or the response is no longer ours to write (already started,
 * client gone): the SDK's transport then answers as usual. Errors always take the SDK's way (their HTTP status
 * depends on where the protocol raised them).
 */
export function answerResult(request: unknown, message: unknown): boolean {
  const exchange = request !== null && typeof request === 'object' ? exchanges.get(request) : undefined;
  if (exchange === undefined || exchange.answered) return false;
  const m = message as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: unknown };
  if (m.jsonrpc !== '2.0' || m.id !== exchange.id || m.id === undefined || m.error !== undefined) return false;
  if (m.result === null || typeof m.result !== 'object') return false;
  const { res } = exchange;
  if (res.headersSent || res.destroyed) return false;
  // Serialised first: a result JSON cannot carry (a BigInt) throws before the exchange counts as answered.
  const bytes = Buffer.from(JSON.stringify(message));
  exchange.answered = true;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes.length) }).end(bytes);
  return true;
}

const isJson = (type: string | null): boolean => type !== null && /^application\/json\s*(;|$)/i.test(type);

/**
 * Like `toNodeHandler` from `@modelcontextprotocol/node` (same status, headers, streaming with backpressure,
 * abort on disconnect, 500 fallback), with savings for the common exchange: a POST whose body fastify has
 * already parsed is passed as a request view instead of a rebuilt `Request`, its result may be written before
 * any `Response` exists (`answerResult`), and a JSON answer is written in one piece with its length instead of
 * streamed chunk by chunk (one write, no chunked encoding).
 */
export function nodeFetchHandler(
  handler: FetchFace,
  options: { maxBodyBytes: number; onerror: (e: Error) => void },
): (req: McpRequest, res: ServerResponse, body: unknown) => Promise<void> {
  return async (req, res, body) => {
    let finished = false;
    const abort = new AbortController();
    let exchange: Exchange | undefined;
    res.on('close', () => {
      if (!finished && !exchange?.answered) abort.abort();
    });
    if (res.destroyed) abort.abort();
    let response: Response;
    try {
      // Without a parsed body (a GET, a DELETE) the SDK may read the request itself: give it a real one.
      let request: Request;
      if (body === undefined)
        request = await toWebRequest(req, undefined, {
          signal: abort.signal,
          maxRequestBodySize: options.maxBodyBytes,
        });
      else {
        request = requestView(req, abort.signal);
        exchange = { res, id: (body as { id?: unknown } | null)?.id, answered: false };
        exchanges.set(request, exchange);
      }
      response = await handler.fetch(request, {
        ...(req.auth !== undefined ? { authInfo: req.auth } : {}),
        ...(body !== undefined ? { parsedBody: body } : {}),
      });
    } catch (error) {
      response = failure(error, body, options.onerror);
    }
    // Answered by answerResult: the SDK's exchange ended without a response of its own (its closed-transport 499).
    if (exchange?.answered) {
      finished = true;
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of response.headers) headers[name] = value;
    if (response.body === null) {
      finished = true;
      res.writeHead(response.status, headers).end();
      return;
    }
    if (isJson(response.headers.get('content-type'))) {
      // The bytes as the SDK encoded them: no decode to a string and encode again.
      const bytes = Buffer.from(await response.arrayBuffer());
      headers['content-length'] = String(bytes.length);
      finished = true;
      res.writeHead(response.status, headers).end(bytes);
      return;
    }
    res.writeHead(response.status, headers);
    await pipe(response.body, res, abort.signal);
    finished = true;
    res.end();
  };
}

/** What `toNodeHandler` answers when the request cannot be read or the handler throws. */
function failure(error: unknown, body: unknown, onerror: (e: Error) => void): Response {
  const e = error instanceof Error ? error : new Error(String(error));
  // toWebRequest's refusal of a body over the limit, recognisable by its name (the class is not exported).
  if (e.name === 'RequestBodyTooLargeError')
    return Response.json(jsonRpcError(JSONRPC.SERVER_ERROR, e.message), {
      status: 413,
      headers: { connection: 'close' },
    });
  try {
    onerror(e);
  } catch {
    // Reporting only.
  }
  return Response.json(jsonRpcError(JSONRPC.INTERNAL_ERROR, 'Internal server error', echoableId(body)), {
    status: 500,
  });
}

/** The id the SDK's adapter echoes on its 500: a single request's string or number id, else null. */
function echoableId(body: unknown): JsonRpcId {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const { method, id } = body as { method?: unknown; id?: unknown };
  if (typeof method !== 'string') return null;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** Streams a web body (an SSE exchange) to the response, waiting on `drain`, until it ends or the client goes. */
async function pipe(body: ReadableStream<Uint8Array>, res: ServerResponse, aborted: AbortSignal): Promise<void> {
  let drained: (() => void) | undefined;
  const release = () => {
    drained?.();
    drained = undefined;
  };
  res.on('drain', release);
  const closed = new Promise<void>((resolve) => aborted.addEventListener('abort', () => resolve(), { once: true }));
  try {
    for await (const chunk of body) {
      if (aborted.aborted) break;
      if (res.write(chunk) === false) await Promise.race([new Promise<void>((r) => (drained = r)), closed]);
    }
  } catch {
    // The stream failed or was cancelled: end the response as the SDK's adapter does.
  }
}
