import type { Snapshot } from './schema.js';

// Readers of a snapshot (telemetry, store, tools) walk the host collectors through the monitor, which owns the
// host state they describe, rather than reaching into the probes. Apart from schema.ts so that a reader that needs
// only these (the recorder, before a stdio `initialize` reply) does not build the snapshot's zod schemas.
export { hostCollectors, stateOf, type AnyHostCollector } from '../probes/registry.js';
export type { SeriesFamily } from '../probes/host/collector.js';

/** The host collectors' fields of a snapshot in one object, as collector modules read them: `host` plus `self`. */
export function hostView(s: Pick<Snapshot, 'host' | 'self'>): Readonly<Record<string, unknown>> {
  return s.self ? { ...s.host, self: s.self } : s.host;
}
