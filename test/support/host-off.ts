import { hostCollectors } from '../../src/probes/registry.js';

/**
 * Every host collector off, so only what a test sets up can move the monitor. Derived from the registry, so a
 * new collector is off here without touching each test.
 */
export const HOST_OFF = {
  collectors: Object.fromEntries(hostCollectors.map((c) => [c.name, false])) as Record<string, boolean>,
};

/** The same as a YAML `host:` line (JSON is YAML flow syntax), for config files. */
export const HOST_OFF_YAML = `host: ${JSON.stringify(HOST_OFF)}\n`;
