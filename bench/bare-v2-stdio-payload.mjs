// The bare v2 SDK server of bare-v2-stdio-server.mjs whose one tool answers with a fixed result read from the
// file named by BARE_RESULT_FILE (a CallToolResult as JSON): tools/call latency with the same payload as ours.
import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

const result = JSON.parse(readFileSync(process.env.BARE_RESULT_FILE, 'utf8'));
serveStdio(() => {
  const server = new McpServer({ name: 'bare', version: '0.0.0' });
  server.registerTool(
    'ping',
    { description: 'ping', inputSchema: z.object({ msg: z.string().optional() }) },
    async () => structuredClone(result),
  );
  return server;
});
