import { readFileSync } from 'node:fs';
import { CLIENT_CAPABILITIES_META_KEY, type McpServer, type Tool } from '@modelcontextprotocol/server';

/**
 * The status view as an MCP App (the `io.modelcontextprotocol/ui` extension): a `ui://` HTML resource built
 * from the status page's own sources with the ext-apps client library inlined (no CDN), linked from
 * `show_status` by `_meta.ui.resourceUri`. Both are declared only to a client that announced the extension
 * with our MIME type; any other client sees neither the resource nor the link, and gets the tool's text.
 */
const STATUS_APP_URI = 'ui://vitals/status';
const APP_MIME_TYPE = 'text/html;profile=mcp-app';
const UI_EXTENSION = 'io.modelcontextprotocol/ui';
const APP_TOOL = 'show_status';

let html: string | undefined;
/** Built by scripts/build-status-app.mjs next to this module; read once, on the first read. */
function appHtml(): string {
  html ??= readFileSync(new URL('./status.html', import.meta.url), 'utf8');
  return html;
}

/** True when the client's capabilities announce MCP Apps able to show our HTML. */
function announcesApps(capabilities: unknown): boolean {
  const ext = (capabilities as { extensions?: Record<string, { mimeTypes?: unknown }> } | undefined)?.extensions?.[
    UI_EXTENSION
  ];
  return Array.isArray(ext?.mimeTypes) && ext.mimeTypes.includes(APP_MIME_TYPE);
}

export interface StatusApp {
  /**
   * The tool list as this client should see it: `show_status` linked to the app when the client has Apps.
   * `ctx`: the handler context, whose 2026-07-28 envelope carries the client's capabilities per request.
   */
  tools(list: Tool[], ctx?: unknown): Tool[];
}

/** The capabilities a 2026-07-28 request declared in its `_meta` envelope (keyed by the reserved meta key). */
const envelopeCapabilities = (ctx: unknown): unknown =>
  (ctx as { mcpReq?: { envelope?: Record<string, unknown> } } | undefined)?.mcpReq?.envelope?.[
    CLIENT_CAPABILITIES_META_KEY
  ];

/**
 * Registers the app resource; call before connect. On 2025-era connections it stays hidden until the client
 * announces the extension in `initialize`. A 2026-07-28 instance has no handshake (a request may come to a fresh
 * instance per HTTP request), so the resource is always there and only the link in tools/list depends on the
 * capabilities the request declares.
 */
export function registerStatusApp(server: McpServer, era: 'legacy' | 'modern' = 'legacy'): StatusApp {
  const resource = server.registerResource(
    'status-app',
    STATUS_APP_URI,
    {
      title: 'mcp-vitals status view',
      description: 'The live status view (checks, uptime, incidents, history) as an MCP App.',
      mimeType: APP_MIME_TYPE,
    },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: APP_MIME_TYPE, text: appHtml(), _meta: { ui: { prefersBorder: true } } }],
    }),
  );
  if (era === 'legacy') resource.disable();
  const enabled = (ctx?: unknown) => announcesApps(envelopeCapabilities(ctx) ?? server.server.getClientCapabilities());
  const previous = server.server.oninitialized;
  server.server.oninitialized = () => {
    previous?.();
    if (enabled()) resource.enable();
  };
  return { tools: (list, ctx) => (enabled(ctx) ? linkedList(list) : list) };
}

/** The linked form of each tool list, made once per list (lists are built once per process and shared). */
const linkedLists = new WeakMap<Tool[], Tool[]>();
function linkedList(list: Tool[]): Tool[] {
  const known = linkedLists.get(list);
  if (known) return known;
  // Both spellings, as ext-apps' registerAppTool writes them: hosts built on earlier drafts read the flat key.
  const linked = list.map((t) =>
    t.name === APP_TOOL
      ? { ...t, _meta: { ...t._meta, ui: { resourceUri: STATUS_APP_URI }, 'ui/resourceUri': STATUS_APP_URI } }
      : t,
  );
  linkedLists.set(list, linked);
  return linked;
}
