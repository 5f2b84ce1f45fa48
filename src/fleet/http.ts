import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  handleWhen,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { authorizationFor, type SourceConfig } from '../config/fleet.js';
import { describeError } from '../shared/describe-error.js';
import { loadCa } from '../shared/tls-ca.js';
import { VitalsError } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';

/** Largest answer read from a source: a 1,000-instance instant query is a few MB. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** FLEET_UNKNOWN_NAME: the caller named an alert or an instance the source does not have (a client's mistake). */
export type FleetErrorCode =
  | 'FLEET_UNAVAILABLE'
  | 'FLEET_BAD_QUERY'
  | 'FLEET_AUTH'
  | 'FLEET_TOO_LARGE'
  | 'FLEET_BAD_ANSWER'
  | 'FLEET_UNKNOWN_NAME';

/**
 * A source that could not answer. Only FLEET_UNAVAILABLE (refused, timed out, 5xx, breaker open) counts
 * towards the breaker: a bad query is the caller's mistake, never an outage.
 */
export class FleetError extends VitalsError {
  constructor(code: FleetErrorCode, message: string) {
    super(code, message);
  }
}

export interface FleetRequest {
  method?: 'GET' | 'POST';
  path: string;
  /** Sent as the query string (GET) or as a form body (POST), as Prometheus accepts for long PromQL. */
  params?: Record<string, string | string[] | undefined>;
  /** A JSON body (POST to Alertmanager). */
  json?: unknown;
}

function encode(params: FleetRequest['params']): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.append(k, x);
  }
  return out.toString();
}

/**
 * One HTTP client per source: keep-alive sockets, credentials, TLS options, a per-request timeout that aborts
 * the socket, and a circuit breaker (cockatiel, as dependency checks have) so a dead source fails fast.
 */
export class SourceClient {
  private readonly base: URL;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly auth: string | undefined;
  private readonly secrets: string[] = [];
  private readonly caError: string | undefined;
  readonly breaker: CircuitBreakerPolicy;

  constructor(
    readonly name: string,
    private readonly config: SourceConfig,
  ) {
    this.base = new URL(config.url.endsWith('/') ? config.url : `${config.url}/`);
    const https = this.base.protocol === 'https:';
    const ca = loadCa(config.tls.ca);
    this.caError = ca.error;
    const options = { keepAlive: true, maxSockets: 16, timeout: config.timeout };
    this.agent = https
      ? new HttpsAgent({
          ...options,
          ...(ca.ca ? { ca: ca.ca } : {}),
          rejectUnauthorized: !config.tls.insecureSkipVerify,
          ...(config.tls.serverName ? { servername: config.tls.serverName } : {}),
        })
      : new HttpAgent(options);
    this.auth = authorizationFor(config);
    if (config.bearerToken) this.secrets.push(config.bearerToken);
    else if (config.basicAuth && this.auth)
      this.secrets.push(config.basicAuth.password, this.auth.slice('Basic '.length));
    this.breaker = circuitBreaker(
      handleWhen((e) => e instanceof FleetError && e.code === 'FLEET_UNAVAILABLE'),
      { halfOpenAfter: config.breaker.cooldown, breaker: new ConsecutiveBreaker(config.breaker.failures) },
    );
  }

  /** Scheme, host and path of the source: what errors and tool answers may show. */
  get display(): string {
    return `${this.base.protocol}//${this.base.host}${this.base.pathname.replace(/\/$/, '')}`;
  }

  /** One request through the breaker and the timeout; resolves with the parsed JSON body. */
  async request<T>(req: FleetRequest): Promise<T> {
    if (this.caError) throw new FleetError('FLEET_UNAVAILABLE', `${this.name}: ${this.caError}`);
    try {
      return await this.breaker.execute(() =>
        timeout(this.config.timeout, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }).execute(
          ({ signal }) => this.send<T>(req, signal),
        ),
      );
    } catch (e) {
      if (e instanceof FleetError) throw e;
      if (e instanceof BrokenCircuitError)
        throw new FleetError(
          'FLEET_UNAVAILABLE',
          `${this.name} at ${this.display} is failing; not asked again for up ` +
            `to ${Math.round(this.config.breaker.cooldown / 1000)}` +
            `s (circuit open)`,
        );
      // The aggressive timeout aborts the socket: the request's AbortError can win the race with cockatiel's own.
      if (e instanceof TaskCancelledError || (e as Error)?.name === 'AbortError')
        throw new FleetError(
          'FLEET_UNAVAILABLE',
          `${this.name} at ${this.display} did not answer within ${this.config.timeout}ms`,
        );
      throw new FleetError(
        'FLEET_UNAVAILABLE',
        `${this.name} at ${this.display}: ${redactText(describeError(e), this.secrets)}`,
      );
    }
  }

  private send<T>(req: FleetRequest, signal: AbortSignal): Promise<T> {
    const method = req.method ?? 'GET';
    const url = new URL(req.path.replace(/^\//, ''), this.base);
    let body: string | undefined;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'mcp-vitals' };
    if (this.auth) headers.authorization = this.auth;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    } else if (method === 'POST') {
      body = encode(req.params);
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (req.params) url.search = encode(req.params);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const r = send(url, { method, headers, agent: this.agent, signal }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            reject(
              new FleetError(
                'FLEET_TOO_LARGE',
                `${this.name} answered with more than ${MAX_RESPONSE_BYTES >> 20} MiB; narrow the query`,
              ),
            );
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          if (size > MAX_RESPONSE_BYTES) return;
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let doc: unknown;
          try {
            doc = text ? JSON.parse(text) : null;
          } catch {
            doc = undefined;
          }
          const apiError = (doc as { error?: unknown } | undefined)?.error;
          const detail = redactText(
            typeof apiError === 'string' ? apiError : text.slice(0, 200).replace(/\s+/g, ' '),
            this.secrets,
          );
          if (status === 401 || status === 403)
            return reject(new FleetError('FLEET_AUTH', `${this.name} refused our credentials (HTTP ${status})`));
          if (status === 400 || status === 422 || status === 404)
            return reject(
              new FleetError('FLEET_BAD_QUERY', `${this.name} rejected the request (HTTP ${status}): ${detail}`),
            );
          if (status >= 500 || status < 200 || status >= 300)
            return reject(
              new FleetError('FLEET_UNAVAILABLE', `${this.name} at ${this.display} answered HTTP ${status}: ${detail}`),
            );
          if (doc === undefined)
            return reject(new FleetError('FLEET_BAD_ANSWER', `${this.name} answered with something that is not JSON`));
          resolve(doc as T);
        });
      });
      r.on('error', reject);
      if (body !== undefined) r.end(body);
      else r.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
