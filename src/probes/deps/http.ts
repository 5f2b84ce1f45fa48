import { request as httpRequest, type ClientRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP, connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { urlToHttpOptions } from 'node:url';
import type { Observation, Probe } from '../types.js';
import type { ProbeConfig } from './kind.js';
import type { kind } from './http.schema.js';
import { certificateValues, certVerdict, describeError, elapsedSeconds, loadCa } from './common.js';

type HttpConfig = ProbeConfig<typeof kind>;

/** Scheme, host and path only: query strings and userinfo often carry tokens. */
export function describe(c: HttpConfig): string {
  const u = new URL(c.url!);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

export function statusMatches(status: number, specs: (number | string)[]): boolean {
  return specs.some((s) => {
    if (typeof s === 'number') return status === s;
    if (/^[1-5]xx$/.test(s)) return Math.floor(status / 100) === Number(s[0]);
    const [lo, hi] = s.split('-').map(Number);
    return hi === undefined ? status === lo : status >= lo! && status <= hi;
  });
}

/** Minimal JSON path: `$.a.b[0].c`, `a.b`, `items[2]`. */
export function jsonPath(doc: unknown, path: string): { found: boolean; value?: unknown } {
  const parts = path.replace(/^\$\.?/, '').match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let node: unknown = doc;
  for (const p of parts) {
    const key = p.startsWith('[') ? Number(p.slice(1, -1)) : p;
    if (node === null || typeof node !== 'object' || !(key in (node as object))) return { found: false };
    node = (node as Record<string | number, unknown>)[key];
  }
  return { found: true, value: node };
}

interface Timings {
  dnsSeconds?: number;
  connectSeconds?: number;
  tlsSeconds?: number;
  firstByteSeconds?: number;
}

interface Exchange {
  res: IncomingMessage;
  body: string;
  timings: Timings;
  cert: Record<string, number>;
}

interface Hop {
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * The request a redirect leads to: 303 (and 301/302 after POST) turn into a body-less GET, per fetch. On a hop
 * to another origin every configured header is dropped (an `X-Api-Key` is as secret as `Authorization`), except
 * those `forward` names (`true`: all of them).
 */
export function nextHop(
  prev: Hop,
  status: number,
  from: URL,
  to: URL,
  forward: boolean | readonly string[] = false,
): Hop {
  const toGet =
    (status === 303 && prev.method !== 'HEAD') || ((status === 301 || status === 302) && prev.method === 'POST');
  const keep =
    forward === true
      ? () => true
      : (k: string) => forward !== false && forward.some((f) => f.toLowerCase() === k.toLowerCase());
  const headers =
    from.origin === to.origin
      ? prev.headers
      : Object.fromEntries(Object.entries(prev.headers).filter(([k]) => keep(k)));
  return toGet ? { method: 'GET', headers, body: undefined } : { ...prev, headers };
}

/** What `request()` is given for one hop: the URL's parts, taken apart once per hop URL instead of per run. */
type HopOptions = RequestOptions & { headers: Record<string, string>; noDelay?: boolean };

function hopOptions(url: URL, hop: Hop, c: HttpConfig, ca: string | undefined): HopOptions {
  const parts = urlToHttpOptions(url);
  const headers = { 'user-agent': 'mcp-vitals', ...hop.headers };
  if (url.protocol === 'https:') {
    // A throwaway agent per request, as before: it names the TLS server (SNI) the way node's agents do.
    return {
      ...parts,
      method: hop.method,
      headers,
      agent: false,
      rejectUnauthorized: !c.tls.insecureSkipVerify,
      ...(ca ? { ca } : {}),
    };
  }
  // Plain HTTP opens its own connection (`createConnection`, set per request) instead of going through a
  // throwaway Agent: no agent object, request bookkeeping or socket listeners per run. On the wire it is the
  // same request: no agent means `Connection: close`, as an agent without keep-alive said; `defaultPort` is
  // the agent's (without it a URL with no port would be sent as `Host: name:80`); `noDelay` is what an agent
  // set. Only the fields a request reads: node copies this object three times per request.
  return {
    protocol: 'http:',
    hostname: parts.hostname,
    port: parts.port,
    path: parts.path,
    auth: parts.auth,
    method: hop.method,
    headers,
    defaultPort: 80,
    noDelay: true,
  };
}

/**
 * One run's request in flight, so the run's end can abandon it: `cancel` destroys the current request and
 * rejects its exchange. The run's timeout arrives as a hook call, not an AbortSignal: a signal handed to
 * `request()` costs an AbortController, an abort listener and node's stream plumbing for it on every run.
 */
interface RunControl {
  aborted: boolean;
  cancel: (() => void) | undefined;
}

function exchange(
  url: URL,
  options: HopOptions,
  c: HttpConfig,
  body: string | undefined,
  control: RunControl,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    if (control.aborted) return reject(new Error('aborted'));
    const started = process.hrtime.bigint();
    const timings: Timings = {};
    let cert: Record<string, number> = {};
    const isHttps = url.protocol === 'https:';
    // An IP address is connected to without a lookup, so no 'lookup' event can come: no listener for it.
    const lookup = isIP(options.hostname ?? '') === 0;
    const watch = (socket: Socket) => {
      if (lookup) socket.once('lookup', () => (timings.dnsSeconds = elapsedSeconds(started)));
      // `on`: a socket connects once.
      socket.on('connect', () => (timings.connectSeconds = elapsedSeconds(started)));
      if (isHttps)
        socket.once('secureConnect', () => {
          timings.tlsSeconds = elapsedSeconds(started);
          cert = certificateValues((socket as TLSSocket).getPeerCertificate());
        });
    };
    const onResponse = (res: IncomingMessage) => {
      timings.firstByteSeconds = elapsedSeconds(started);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= c.maxBodyBytes) chunks.push(chunk);
        else if (size - chunk.length < c.maxBodyBytes)
          chunks.push(chunk.subarray(0, c.maxBodyBytes - (size - chunk.length)));
      });
      res.on('end', () => resolve({ res, body: Buffer.concat(chunks).toString('utf8'), timings, cert }));
      res.on('error', reject);
    };
    let req: ClientRequest;
    if (isHttps) {
      req = httpsRequest(options, onResponse);
      req.on('socket', watch);
    } else {
      req = httpRequest(
        {
          ...options,
          createConnection: (opts: ClientRequestArgs) => {
            const socket = netConnect(opts as NetConnectOpts);
            watch(socket);
            return socket;
          },
        },
        onResponse,
      );
    }
    control.cancel = () => {
      req.destroy();
      reject(new Error('aborted'));
    };
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * One HTTP exchange with phase timings, following up to `maxRedirects` redirects by hand so each hop is
 * bounded by the same signal. Checks status, body text, a JSON path and the TLS certificate's days left.
 * `responseTimeSeconds` covers every hop; the phase timings (DNS, connect, TLS, first byte, each counted
 * from the start of its request as curl's `time_*` are) and the certificate are those of the last hop.
 */
export function create(c: HttpConfig): Probe<Observation> {
  const { ca, error: caError } = loadCa(c.tls.ca);
  // The first hop is the same on every run: its URL, request and options are built once.
  const firstUrl = new URL(c.url!);
  const firstHop: Hop = { method: c.method, headers: c.headers, body: c.body };
  const firstOptions = hopOptions(firstUrl, firstHop, c, ca);

  /** A redirect to follow: a 3xx with a location that is not itself the expected answer. */
  const isRedirect = (ex: Exchange): boolean => {
    const status = ex.res.statusCode;
    return (
      !!status && status >= 300 && status < 400 && !!ex.res.headers.location && !statusMatches(status, c.expectStatus)
    );
  };

  const run = (control: RunControl): Promise<Observation> => {
    const started = process.hrtime.bigint();
    if (caError) return Promise.resolve({ ok: false, values: {}, error: caError });
    const failed = (e: unknown): Observation => ({
      ok: false,
      values: { responseTimeSeconds: elapsedSeconds(started) },
      error: control.aborted ? 'timed out' : describeError(e),
    });
    // The usual run is one exchange, judged in a then-callback (no async frame and its promises per run);
    // a redirect goes on in `follow`.
    return exchange(firstUrl, firstOptions, c, firstHop.body, control).then((ex) => {
      try {
        return isRedirect(ex) ? follow(ex, started, control).catch(failed) : judge(ex, 0, started);
      } catch (e) {
        return failed(e);
      }
    }, failed);
  };

  const follow = async (first: Exchange, started: bigint, control: RunControl): Promise<Observation> => {
    let url = firstUrl;
    let hop = firstHop;
    let ex = first;
    let redirects = 0;
    while (isRedirect(ex)) {
      const status = ex.res.statusCode!;
      if (redirects >= c.maxRedirects)
        return {
          ok: false,
          values: { responseTimeSeconds: elapsedSeconds(started), statusCode: status, redirects },
          error: `more than ${c.maxRedirects} redirects`,
        };
      redirects++;
      const next = new URL(ex.res.headers.location!, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        return {
          ok: false,
          values: { responseTimeSeconds: elapsedSeconds(started), redirects },
          error: `redirect to unsupported scheme ${next.protocol}`,
        };
      hop = nextHop(hop, status, url, next, c.forwardHeadersOnRedirect);
      url = next;
      ex = await exchange(url, hopOptions(url, hop, c, ca), c, hop.body, control);
    }
    return judge(ex, redirects, started);
  };

  const judge = (ex: Exchange, redirects: number, started: bigint): Observation => {
    const status = ex.res.statusCode ?? 0;
    const values: Record<string, number> = {
      responseTimeSeconds: elapsedSeconds(started),
      statusCode: status,
      redirects,
      contentLengthBytes: Buffer.byteLength(ex.body),
    };
    // In the order the phases happened, as they were recorded (a for-in: no entries array per run).
    const timings = ex.timings as Record<string, number | undefined>;
    for (const k in timings) if (timings[k] !== undefined) values[k] = timings[k];
    Object.assign(values, ex.cert);
    const fail = (error: string): Observation => ({ ok: false, values, error });
    if (!statusMatches(status, c.expectStatus)) return fail(`status ${status}, expected ${c.expectStatus.join(', ')}`);
    if (c.bodyContains !== undefined && !ex.body.includes(c.bodyContains))
      return fail('body does not contain the expected text');
    if (c.json) {
      let doc: unknown;
      try {
        doc = JSON.parse(ex.body);
      } catch {
        return fail('body is not JSON');
      }
      const r = jsonPath(doc, c.json.path);
      if (c.json.exists === false ? r.found : !r.found)
        return fail(`JSON path ${c.json.path} ${r.found ? 'exists' : 'not found'}`);
      if (c.json.equals !== undefined && r.value !== c.json.equals)
        return fail(
          `JSON path ${c.json.path} is ${JSON.stringify(r.value)?.slice(0, 60)}` +
            `, expected ${JSON.stringify(c.json.equals)}`,
        );
    }
    const cert = certVerdict(values, c.tls.certWarnDays, c.tls.certFailDays);
    if (cert.error) return fail(cert.error);
    return { ok: true, values, ...(cert.warning ? { warnings: [cert.warning] } : {}) };
  };

  return {
    kind: 'http',
    run: (signal) => {
      const control: RunControl = { aborted: false, cancel: undefined };
      const abort = () => {
        control.aborted = true;
        control.cancel?.();
      };
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
      return run(control).finally(() => signal.removeEventListener('abort', abort));
    },
    // The monitor's path: no signal, so no AbortController per run.
    runWithHook: (hook) => {
      const control: RunControl = { aborted: false, cancel: undefined };
      hook.onAbort(() => {
        control.aborted = true;
        control.cancel?.();
      });
      return run(control);
    },
  };
}
