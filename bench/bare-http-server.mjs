// Baseline for bench/http.mjs: the smallest useful Streamable HTTP MCP server, plain node:http and the SDK,
// one tool, no auth, no rate limit, no hardening. `node bare-http-server.mjs stateless|stateful`; prints its port.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const stateless = process.argv[2] !== 'stateful';

function mcpServer() {
  const server = new McpServer({ name: 'bare', version: '0.0.0' });
  server.registerTool(
    'health_check',
    { description: 'overall status', inputSchema: {}, outputSchema: { status: z.string(), time: z.string() } },
    async () => {
      const data = { status: 'pass', time: new Date().toISOString() };
      return { content: [{ type: 'text', text: `Status: ${data.status}` }], structuredContent: data };
    },
  );
  return server;
}

const sessions = new Map();

const http = createServer(async (req, res) => {
  if (req.url !== '/mcp') return void res.writeHead(404).end();
  if (stateless) {
    // The SDK's stateless pattern: a server and transport per request.
    const server = mcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void server.close());
    await server.connect(transport);
    return transport.handleRequest(req, res);
  }
  const sid = req.headers['mcp-session-id'];
  let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
  if (!transport) {
    if (sid !== undefined) return void res.writeHead(404).end();
    const server = mcpServer();
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
    await server.connect(transport);
  }
  return transport.handleRequest(req, res);
});

http.listen(0, '127.0.0.1', () => process.stdout.write(`${http.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
