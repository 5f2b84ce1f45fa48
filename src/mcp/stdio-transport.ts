import type { Readable, Writable } from 'node:stream';
import { parseJSONRPCMessage, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/server';
import { countRefusal } from '../shared/refusals.js';
import type { Logger } from '../shared/logger.js';
import { messageLine } from './result-text.js';

export interface BoundedStdioOptions {
  /** Longest line (one JSON-RPC message) kept, in bytes; a longer one is answered -32600 and dropped. */
  maxLineBytes: number;
  /** Requests the client may have unanswered at once; past it a request is refused at once. */
  maxPending: number;
  log: Logger;
  stdin?: Readable;
  stdout?: Writable;
  /**
   * Output bytes queued for a client that is not reading, past which notifications are dropped (responses never are).
   */
  maxQueuedBytes?: number;
  /** Called once when stdin ends or closes, or stdout breaks: the client is gone. */
  onEnd?: () => void;
}

type Id = string | number;
const key = (id: Id) => `${typeof id}:${id}`;

/** Bytes of an oversized line kept to look for its id, so the client's request gets its error and does not hang. */
const PREFIX_BYTES = 1024;

/**
 * The request id of a message from its first bytes, when it comes among the top-level keys before anything
 * nested (as `{"jsonrpc":"2.0","id":7,"method":…,"params":{…}}` does); null otherwise.
 */
export function leadingId(prefix: string): Id | null {
  const m = /^\s*\{(?:[^{}[\]]*?,)?\s*"id"\s*:\s*("(?:[^"\\]|\\.){0,256}"|-?\d{1,15})\s*[,}]/.exec(prefix);
  if (!m) return null;
  try {
    return JSON.parse(m[1]!) as Id;
  } catch {
    return null;
  }
}

const errorMessage = (id: Id | null, code: number, message: string) =>
  ({ jsonrpc: '2.0', id, error: { code, message } }) as JSONRPCMessage;
const errorLine = (id: Id | null, code: number, message: string) =>
  `${JSON.stringify(errorMessage(id, code, message))}\n`;

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

/**
 * The message itself when it is a request the SDK's JSONRPCMessageSchema would accept unchanged: only the four
 * request keys, version "2.0", a string or safe-integer id, a string method, and params absent or an object
 * without `_meta` (whose fields the schema checks). Anything else (notifications, responses, `_meta`, odd
 * shapes) goes through the schema, which decides. Parsing a well-formed request with the union schema was
 * ~5 µs of each stdio call, twice what the SDK's own checks on it cost afterwards.
 */
export function plainRequest(raw: unknown): JSONRPCMessage | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  for (const k in m) if (!REQUEST_KEYS.has(k)) return undefined;
  if (m.jsonrpc !== '2.0' || typeof m.method !== 'string') return undefined;
  if (typeof m.id !== 'string' && !Number.isSafeInteger(m.id)) return undefined;
  const { params } = m;
  if (params === undefined) return 'params' in m ? undefined : (m as JSONRPCMessage);
  if (params === null || typeof params !== 'object' || Array.isArray(params) || '_meta' in params) return undefined;
  return m as JSONRPCMessage;
}

/** Protocol versions with JSON-RPC batches. */
const BATCH_VERSIONS = new Set(['2024-11-05', '2025-03-26']);

/** Answers owed to one batch: sent as one array once every request in it is answered. */
interface Batch {
  waiting: Set<string>;
  answers: JSONRPCMessage[];
}

/**
 * MCP over stdin/stdout, bounded. The SDK's own stdio transport closes itself when a line passes 10 MiB and
 * pauses stdin, leaving a daemon that answers nothing and never sees EOF; it also adds a 'drain' listener per
 * blocked write. Here an oversized line is dropped as it streams in (never buffered) and answered -32600,
 * unparseable JSON gets -32700, every later line is served, stdin is never paused (EOF always ends the
 * daemon), one 'drain' wait is shared by all writes, and the client's unanswered requests are capped.
 */
export class BoundedStdioTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onerror?: Transport['onerror'];
  onclose?: Transport['onclose'];

  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private chunks: Buffer[] = [];
  private size = 0;
  /** Set while the rest of an oversized line is skipped: its first bytes (for the id) and how long it was. */
  private oversized: { prefix: string; bytes: number } | undefined;
  private readonly pending = new Set<string>();
  /** Requests of a batch in flight, by key, to the batch that gathers their answers. */
  private readonly batches = new Map<string, Batch>();
  /** The version `initialize` settled on (batches depend on it). */
  private version: string | undefined;
  private drained: Promise<void> | undefined;
  private closed = false;
  private ended = false;

  constructor(private readonly options: BoundedStdioOptions) {
    this.stdin = options.stdin ?? process.stdin;
    this.stdout = options.stdout ?? process.stdout;
  }

  /** Requests received and not answered yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  async start(): Promise<void> {
    this.stdin.on('data', this.onData);
    this.stdin.once('end', this.onInputEnd);
    this.stdin.once('close', this.onInputEnd);
    this.stdin.on('error', this.onStreamError);
    this.stdout.on('error', this.onOutputError);
  }

  private readonly onData = (chunk: Buffer | string) => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      this.append(buf.subarray(start, nl));
      start = nl + 1;
      this.endLine();
    }
    if (start < buf.length) this.append(buf.subarray(start));
  };

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.oversized) {
      this.oversized.bytes += piece.length;
      return;
    }
    if (this.size + piece.length > this.options.maxLineBytes) {
      const head = Buffer.concat([...this.chunks, piece.subarray(0, PREFIX_BYTES)]).subarray(0, PREFIX_BYTES);
      this.oversized = { prefix: head.toString('utf8'), bytes: this.size + piece.length };
      this.chunks = [];
      this.size = 0;
      return;
    }
    this.chunks.push(piece);
    this.size += piece.length;
  }

  private endLine(): void {
    const over = this.oversized;
    if (over) {
      this.oversized = undefined;
      countRefusal('message_bytes');
      const id = leadingId(over.prefix);
      this.options.log.warn(
        { bytes: over.bytes, max: this.options.maxLineBytes, id },
        'stdio: message larger than limits.messageBytes dropped',
      );
      this.write(
        errorLine(
          id,
          -32600,
          `Invalid Request: message of ${over.bytes} bytes is larger than the limit of ${this.options.maxLineBytes}` +
            ` bytes`,
        ),
      );
      return;
    }
    const line = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    this.handleLine(text);
  }

  private handleLine(text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.write(errorLine(null, -32700, 'Parse error: invalid JSON'));
      return;
    }
    if (Array.isArray(raw)) {
      this.handleBatch(raw);
      return;
    }
    const refusal = this.handleMessage(raw);
    if (refusal) this.write(`${JSON.stringify(refusal)}\n`);
  }

  /**
   * 2024-11-05 and 2025-03-26 have JSON-RPC batches (2025-06-18 removed them): each message is served as if sent
   * alone, under the same bounds, and the answers to its requests go back together as one array.
   */
  private handleBatch(raw: unknown[]): void {
    if (!this.version || !BATCH_VERSIONS.has(this.version)) {
      this.write(
        errorLine(
          null,
          -32600,
          `Invalid Request: JSON-RPC batches are not part of protocol ` +
            `version ${this.version ?? '(none negotiated yet)'}`,
        ),
      );
      return;
    }
    if (raw.length === 0) {
      this.write(errorLine(null, -32600, 'Invalid Request: empty batch'));
      return;
    }
    const batch: Batch = { waiting: new Set(), answers: [] };
    const ids = raw.map((m) =>
      m !== null && typeof m === 'object' && 'method' in m && 'id' in m ? (m as { id: unknown }).id : undefined,
    );
    // An id already in flight is refused below, and its answer belongs to the request that holds it.
    for (const id of ids)
      if ((typeof id === 'string' || typeof id === 'number') && !this.pending.has(key(id))) batch.waiting.add(key(id));
    // Registered before delivery: an answer can come back synchronously.
    for (const k of batch.waiting) this.batches.set(k, batch);
    for (const [i, m] of raw.entries()) {
      const refusal = this.handleMessage(m);
      if (!refusal) continue;
      const id = ids[i];
      // A refused request is answered here; its id may belong to another request still in flight, so it is not waited
      // on.
      if (
        (typeof id === 'string' || typeof id === 'number') &&
        this.batches.get(key(id)) === batch &&
        !this.pending.has(key(id))
      ) {
        this.batches.delete(key(id));
        batch.waiting.delete(key(id));
      }
      batch.answers.push(refusal);
    }
    this.flushBatch(batch);
  }

  private flushBatch(batch: Batch): void {
    if (batch.waiting.size > 0 || batch.answers.length === 0) return;
    this.write(`${JSON.stringify(batch.answers)}\n`);
    batch.answers = [];
  }

  /** Delivers one message, or returns the error response that refuses it. */
  private handleMessage(raw: unknown): JSONRPCMessage | undefined {
    let message: JSONRPCMessage | undefined;
    try {
      message = plainRequest(raw) ?? parseJSONRPCMessage(raw);
    } catch {
      message = undefined;
    }
    const rawId =
      raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as { id?: unknown }).id : undefined;
    const id: Id | null =
      typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId)) ? rawId : null;
    if (!message) return errorMessage(id, -32600, 'Invalid Request: not a JSON-RPC 2.0 message');
    if ('method' in message && 'id' in message) {
      const k = key(message.id);
      if (this.pending.has(k)) {
        countRefusal('duplicate_request_id');
        return errorMessage(
          message.id,
          -32600,
          `Invalid Request: request id ${JSON.stringify(message.id)} is already in use by a request in flight`,
        );
      }
      if (this.pending.size >= this.options.maxPending) {
        countRefusal('pending_requests');
        return errorMessage(
          message.id,
          -32000,
          `Too many requests in flight (limit ${this.options.maxPending}); wait for answers first`,
        );
      }
      this.pending.add(k);
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      // A cancelled request is never answered: forget it, or it would hold a pending slot for good.
      const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof requestId === 'string' || typeof requestId === 'number') this.forget(key(requestId));
    }
    try {
      this.onmessage?.(message);
    } catch (e) {
      this.onerror?.(e as Error);
    }
    return undefined;
  }

  /** A request that will get no answer: its pending slot is freed, and a batch stops waiting for it. */
  private forget(k: string): void {
    this.pending.delete(k);
    const batch = this.batches.get(k);
    if (!batch) return;
    this.batches.delete(k);
    batch.waiting.delete(k);
    this.flushBatch(batch);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    const id = (message as { id?: Id }).id;
    const isResponse = id !== undefined && !('method' in message);
    if (isResponse) this.pending.delete(key(id));
    const result = (message as { result?: { protocolVersion?: unknown; serverInfo?: unknown } }).result;
    if (isResponse && typeof result?.protocolVersion === 'string' && result.serverInfo)
      this.version = result.protocolVersion;
    const batch = isResponse && this.batches.size > 0 ? this.batches.get(key(id!)) : undefined;
    if (batch) {
      this.batches.delete(key(id!));
      batch.waiting.delete(key(id!));
      batch.answers.push(message);
      return this.flushBatch(batch);
    }
    // A client that stopped reading loses notifications, never answers (those are bounded by maxPending).
    const maxQueued = this.options.maxQueuedBytes ?? 16 * 1024 * 1024;
    if (id === undefined && this.stdout.writableLength > maxQueued) return;
    if (this.write(messageLine(message))) return;
    await this.whenDrained();
  }

  private write(line: string): boolean {
    if (this.closed || this.stdout.destroyed) return true;
    return this.stdout.write(line);
  }

  private whenDrained(): Promise<void> {
    this.drained ??= new Promise<void>((resolve) => {
      const done = () => {
        this.stdout.off('drain', done);
        this.stdout.off('close', done);
        this.drained = undefined;
        resolve();
      };
      this.stdout.on('drain', done);
      this.stdout.on('close', done);
    });
    return this.drained;
  }

  private readonly onStreamError = (e: Error) => this.onerror?.(e);

  private readonly onOutputError = (e: Error) => {
    // EPIPE: the client closed our stdout; nobody is left to answer.
    this.options.log.debug({ err: { message: e.message } }, 'stdio: stdout closed by the client');
    this.onInputEnd();
  };

  private readonly onInputEnd = () => {
    if (this.ended) return;
    this.ended = true;
    this.options.onEnd?.();
  };

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    // Never paused: EOF must still reach the 'end' listeners so the process can exit.
    this.stdin.resume();
    this.chunks = [];
    this.pending.clear();
    this.batches.clear();
    this.onclose?.();
  }
}
