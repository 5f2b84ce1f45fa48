import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Where Node keeps the interval that enforces `headersTimeout` and `requestTimeout` (lib/_http_server.js). */
const CHECKER = 'http.server.connectionsCheckingInterval';

interface Interval {
  _onTimeout?: unknown;
  _repeat?: unknown;
}

/**
 * Node checks every open connection's header and request deadlines on an interval that runs whether or not a
 * connection is open: an idle daemon was woken every second (`connectionsCheckingInterval`) to find none. This
 * stops that interval while no connection is open and starts it again, with Node's own check and period, when
 * one opens: a deadline is still enforced within one period of its value, since it cannot start before its
 * connection does. Call before the server listens (Node starts its interval on 'listening', ahead of the
 * listener added here). On a Node that keeps the interval elsewhere, nothing changes.
 */
export function checkConnectionsOnlyWhenOpen(server: Server): void {
  const slots = server as unknown as Record<symbol, Interval | undefined>;
  let key: symbol | undefined;
  let check: (() => void) | undefined;
  let every = 0;
  let open = 0;
  const stop = () => {
    if (!key) return;
    clearInterval(slots[key] as NodeJS.Timeout | undefined);
    slots[key] = undefined;
  };
  server.on('listening', () => {
    key = Object.getOwnPropertySymbols(server).find((s) => s.description === CHECKER);
    const interval = key && slots[key];
    if (typeof interval?._onTimeout !== 'function' || typeof interval._repeat !== 'number') {
      key = undefined;
      return;
    }
    check = interval._onTimeout as () => void;
    every = interval._repeat;
    if (open === 0) stop();
  });
  server.on('connection', (socket: Socket) => {
    if (open++ === 0 && key && check && !slots[key]) slots[key] = setInterval(check, every).unref() as Interval;
    socket.once('close', () => {
      if (--open === 0) stop();
    });
  });
}
