import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../../src/fleet/index.js';
import { fleetTools, tools } from '../../../src/mcp/tools/index.js';
import { fleetToolNames, LOCAL_TOOL_NAMES } from '../../../src/mcp/tools/names.js';

// Telemetry labels calls by the names before the definitions load: the two lists must not drift apart.
describe('tool names known without loading the tools', () => {
  it('are the names of the definitions, in order, for every fleet configuration', () => {
    expect([...LOCAL_TOOL_NAMES]).toEqual(tools.map((t) => t.name));
    for (const fleet of [undefined, { prometheus: undefined }, { prometheus: {} }] as (Fleet | undefined)[])
      expect(fleetToolNames(fleet)).toEqual(fleetTools(fleet).map((t) => t.name));
  });
});
