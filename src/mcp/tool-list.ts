import type { Tool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { AnyToolDefinition } from './tools/types.js';

type Json = Record<string, unknown>;

/**
 * Drops what costs a model's context and says nothing: zod's ±2^53 bounds on every integer, `propertyNames`
 * of plain string keys, and in output schemas `additionalProperties: false` and the field descriptions (a
 * third of the whole list; names carry their units, e.g. `latencySeconds`, and the README documents them).
 */
function compact(schema: unknown, output: boolean): unknown {
  if (Array.isArray(schema)) return schema.map((s) => compact(s, output));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) {
    if (k === '$schema') continue;
    if ((k === 'minimum' || k === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    if (k === 'propertyNames' && JSON.stringify(v) === '{"type":"string"}') continue;
    if (output && ((k === 'additionalProperties' && v === false) || (k === 'description' && typeof v === 'string')))
      continue;
    out[k] = compact(v, output);
  }
  return out;
}

/** The tools/list entries, built once from the definitions: every session and request shares them. */
export function toolList(defs: readonly AnyToolDefinition[]): Tool[] {
  return defs.map((d) => ({
    name: d.name,
    title: d.title,
    description: d.description,
    inputSchema: compact(z.toJSONSchema(d.input, { target: 'draft-7', io: 'input' }), false) as Tool['inputSchema'],
    outputSchema: compact(z.toJSONSchema(d.output, { target: 'draft-7', io: 'output' }), true) as Tool['outputSchema'],
    annotations: d.annotations,
  }));
}
