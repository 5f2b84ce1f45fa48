/**
 * What probes share with the rest of the daemon. A probe knows nothing of MCP, HTTP or OpenTelemetry:
 * it is handed an AbortSignal and returns what it saw.
 */
export interface Probe<T> {
  readonly kind: string;
  run(signal: AbortSignal): Promise<T>;
  /** Releases pools and sockets; called once at shutdown. */
  close?(): Promise<void>;
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
