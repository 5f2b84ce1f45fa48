// Baseline for cold start on the v2 SDK: the smallest useful MCP server, one tool, served by serveStdio
// (both eras from one factory, as mcp-vitals serves them).
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

serveStdio(() => {
  const server = new McpServer({ name: 'bare', version: '0.0.0' });
  server.registerTool(
    'ping',
    { description: 'ping', inputSchema: z.object({ msg: z.string().optional() }) },
    async () => ({ content: [{ type: 'text', text: 'pong' }] }),
  );
  return server;
});
