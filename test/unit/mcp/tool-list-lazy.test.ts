import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import { createLogger } from '../../../src/shared/logger.js';

// Counts conversions while keeping the real ones: what tools/list answers must not change.
const converted = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../src/mcp/tool-list.js', async (original) => {
  const real = await original<typeof import('../../../src/mcp/tool-list.js')>();
  return {
    toolList: (...args: Parameters<typeof real.toolList>) => {
      converted.count++;
      return real.toolList(...args);
    },
  };
});

describe('tools/list schemas', () => {
  it('are converted on the first tools/list, not before the initialize reply, and once for every server', async () => {
    const { createMcpServer } = await import('../../../src/mcp/server.js');
    const monitor = new HealthMonitor(parseConfig({}, {}), createLogger({ level: 'silent' }));
    const connect = async () => {
      const server = createMcpServer({ monitor, version: '0.0.0' });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide as never);
      const client = new Client({ name: 'test', version: '0' });
      await client.connect(clientSide);
      return client;
    };
    const first = await connect();
    expect(converted.count).toBe(0);
    const { tools } = await first.listTools();
    expect(tools.map((t) => t.name)).toContain('health_check');
    expect(tools.find((t) => t.name === 'health_check')?.inputSchema.type).toBe('object');
    expect(converted.count).toBe(1);
    const second = await connect();
    expect((await second.listTools()).tools).toEqual(tools);
    expect(converted.count).toBe(1);
    await Promise.all([first.close(), second.close()]);
  });
});
