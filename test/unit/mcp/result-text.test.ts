import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { keepResultText, messageLine } from '../../../src/mcp/result-text.js';

const result = () => ({
  content: [{ type: 'text', text: 'Status: pass — "quoted", \u2028 and \\ kept' }],
  structuredContent: { status: 'pass', checks: [{ name: 'cpu', observedValue: 0.25, threshold: null }] },
});
const line = (m: unknown) => messageLine(m as JSONRPCMessage);
const reference = (m: unknown) => `${JSON.stringify(m)}\n`;

describe('messageLine', () => {
  it('splices a kept result into the response line, byte for byte what JSON.stringify writes, for any id', () => {
    const kept = result();
    keepResultText(kept);
    for (const id of [0, 7, -3, 2 ** 53 - 1, '', 'a', 'with "quotes" and \\ and \u00e9 and \u2028'])
      expect(line({ result: kept, jsonrpc: '2.0', id })).toBe(reference({ result: kept, jsonrpc: '2.0', id }));
  });

  it('serializes anything else as it is: other key orders, extra keys, errors, requests, results not kept', () => {
    const kept = result();
    keepResultText(kept);
    const messages = [
      { jsonrpc: '2.0', id: 1, result: kept },
      { result: kept, id: 1, jsonrpc: '2.0' },
      { result: kept, jsonrpc: '2.0', id: 1, extra: true },
      { result: kept, jsonrpc: '2.0' },
      { result: kept, jsonrpc: '1.0', id: 1 },
      { result: kept, jsonrpc: '2.0', id: null },
      { result: result(), jsonrpc: '2.0', id: 1 },
      { jsonrpc: '2.0', id: 'x', error: { code: -32600, message: 'Invalid Request' } },
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: kept } },
      { result: {}, jsonrpc: '2.0', id: 2 },
    ];
    for (const m of messages) expect(line(m)).toBe(reference(m));
  });
});
