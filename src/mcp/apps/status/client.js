// The status view inside an MCP host: the page's own renderer (render.js), fed through the host's app bridge
// instead of SSE. No HTTP of its own and no token: every read is a `show_status` call the host makes for it.
import { App, applyDocumentTheme } from '@modelcontextprotocol/ext-apps';

const WAIT_SECONDS = 25;
const app = new App({ name: 'mcp-vitals status', version: '1' }, {}, { autoResize: true });

async function call(args) {
  const r = await app.callServerTool({ name: 'show_status', arguments: args });
  if (r.isError) throw new Error(r.content?.find((c) => c.type === 'text')?.text || 'show_status failed');
  return r.structuredContent;
}

const view = window.VitalsView.create({
  loadDetail: async (name, range) => (await call({ check: name, range })).detail,
});

let latest = '';
function show(payload) {
  if (!payload || payload.view.time < latest) return;
  latest = payload.view.time;
  view.refresh(payload);
}

// The host's theme, not only the system's: a light chat on a dark desktop shows a light view.
const theme = (ctx) => ctx?.theme && applyDocumentTheme(ctx.theme);
app.onhostcontextchanged = theme;

// The result of the call that opened the app arrives as a notification: draw it at once.
app.ontoolresult = (result) => show(result.structuredContent?.payload);

async function follow() {
  for (;;) {
    try {
      show((await call({ waitSeconds: WAIT_SECONDS })).payload);
      view.connection('live');
    } catch {
      view.connection('reconnecting…');
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}

app.connect().then(async () => {
  theme(app.getHostContext());
  view.connection('live');
  show((await call({})).payload);
  follow();
});
