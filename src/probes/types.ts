/**
 * What probes share with the rest of the daemon. A probe knows nothing of MCP, HTTP or OpenTelemetry:
 * it is handed an AbortSignal and returns what it saw.
 */
export interface Probe<T> {
  readonly kind: string;
  run(signal: AbortSignal): Promise<T>;
  /**
   * The same run, told of its abandonment by a callback instead of a signal: for a probe with nothing to hand a
   * signal to (TCP), an AbortController and its listener per run cost more than the rest of its JavaScript.
   * The caller uses it in place of `run` when present.
   */
  runWithHook?(hook: AbortHook): Promise<T>;
  /** Releases pools and sockets; called once at shutdown. */
  close?(): Promise<void>;
}

/** Tells a run it was abandoned (its timeout passed). */
export interface AbortHook {
  readonly aborted: boolean;
  /** Calls `listener` once when the run is abandoned, at once if it already was; one listener per run. */
  onAbort(listener: () => void): void;
}

/**
 * A distinct "not applicable here" outcome (no swap, no such mount), as node_exporter's ErrNoData:
 * it is neither a failure nor a value.
 */
export class NoDataError extends Error {
  readonly code = 'NO_DATA';
}

/** One run of a dependency probe against one target. */
export interface Observation {
  ok: boolean;
  /** Numeric results in base units, keyed by measurement name (`responseTimeSeconds`, `connectionsRatio`…). */
  values: Record<string, number>;
  /** Non-numeric facts worth showing (server version, role). */
  info?: Record<string, string>;
  /** Short, already-redacted reason when not ok, or a warning when ok. */
  error?: string;
  /** A measurement that crossed its warn level while the run itself succeeded. */
  warnings?: string[];
}
