import { parseJSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { plainRequest } from '../../../src/mcp/stdio-transport.js';

const schemaSays = (raw: unknown) => {
  try {
    return parseJSONRPCMessage(raw);
  } catch {
    return 'rejected';
  }
};

describe('plainRequest', () => {
  it('takes only requests the SDK schema accepts, and hands them on as the schema would', () => {
    const taken = [
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'health_check', arguments: {} } },
      { jsonrpc: '2.0', id: 'a', method: 'ping' },
      { jsonrpc: '2.0', id: 0, method: 'tools/list', params: {} },
    ];
    for (const raw of taken) {
      expect(plainRequest(raw)).toBe(raw);
      expect(schemaSays(raw)).toEqual(raw);
    }
  });

  it('leaves everything else to the schema', () => {
    const left = [
      null,
      [],
      'x',
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x' } },
      { jsonrpc: '1.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 1.5, method: 'ping' },
      { jsonrpc: '2.0', id: null, method: 'ping' },
      { jsonrpc: '2.0', id: 2 ** 60, method: 'ping' },
      { jsonrpc: '2.0', id: 1, method: 7 },
      { jsonrpc: '2.0', id: 1, method: 'ping', extra: true },
      { jsonrpc: '2.0', id: 1, method: 'ping', params: null },
      { jsonrpc: '2.0', id: 1, method: 'ping', params: [] },
      { jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { progressToken: {} } } },
      JSON.parse('{"jsonrpc":"2.0","id":1,"method":"ping","__proto__":{}}'),
    ];
    for (const raw of left) expect(plainRequest(raw)).toBeUndefined();
  });
});
