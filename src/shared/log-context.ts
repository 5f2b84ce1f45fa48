/**
 * The bridge between pino and the active span. The logger is built before tracing is known to be on, so its
 * mixin asks through this indirection; until tracing starts it adds nothing.
 */
type Fields = Record<string, unknown>;

let source: (() => Fields | undefined) | undefined;

/** Installed by tracing: trace_id/span_id of the active span, or undefined outside one. */
export function setTraceContextSource(fn: (() => Fields | undefined) | undefined): void {
  source = fn;
}

/**
 * pino mixin: `trace_id`, `span_id` and `trace_flags` of the active span, when there is one. A fresh object
 * every time: pino merges the line's own fields into what the mixin returns.
 */
export function traceContextFields(): Fields {
  return source?.() ?? {};
}
