// Baseline for bench/http.mjs on the v2 SDK: the smallest useful Streamable HTTP MCP server, plain node:http,
// one tool, no auth, no rate limit, no hardening. 2026-07-28 requests go to createMcpHandler; 2025-era ones to
// its stateless fallback (`stateless`) or to sessions over NodeStreamableHTTPServerTransport (`stateful`), the
// same split mcp-vitals makes. `node bare-v2-http-server.mjs stateless|stateful`; prints its port.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createMcpHandler, isLegacyRequest, McpServer } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { z } from 'zod';

const stateless = process.argv[2] !== 'stateful';

function mcpServer() {
  const server = new McpServer({ name: 'bare', version: '0.0.0' });
  server.registerTool(
    'health_check',
    {
      description: 'overall status',
      inputSchema: z.object({}),
      outputSchema: z.object({ status: z.string(), time: z.string() }),
    },
    async () => {
      const data = { status: 'pass', time: new Date().toISOString() };
      return { content: [{ type: 'text', text: `Status: ${data.status}` }], structuredContent: data };
    },
  );
  return server;
}

const both = toNodeHandler(createMcpHandler(mcpServer));
const modern = toNodeHandler(createMcpHandler(mcpServer, { legacy: 'reject' }));
const sessions = new Map();

const http = createServer(async (req, res) => {
  if (req.url !== '/mcp') return void res.writeHead(404).end();
  if (stateless) return both(req, res);
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  if (!(await isLegacyRequest(await toWebRequest(req, body), body))) return modern(req, res, body);
  const sid = req.headers['mcp-session-id'];
  let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
  if (!transport) {
    if (sid !== undefined) return void res.writeHead(404).end();
    transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
    await mcpServer().connect(transport);
  }
  return transport.handleRequest(req, res, body);
});

http.listen(0, '127.0.0.1', () => process.stdout.write(`${http.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
