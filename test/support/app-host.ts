import { build } from 'esbuild';

/**
 * A minimal MCP Apps host page, built from the ext-apps host side (AppBridge) as a real host embeds an app:
 * the `ui://` HTML in a sandboxed iframe (scripts only, opaque origin), the bridge over postMessage, the
 * app's tool calls handed to `window.hostCallTool` (which the test wires to a real MCP client).
 */
export async function appHostPage(): Promise<string> {
  const entry = `
    import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
    window.startHost = async (html, toolResult, theme) => {
      const iframe = document.createElement('iframe');
      iframe.setAttribute('sandbox', 'allow-scripts');
      iframe.title = 'mcp-vitals status';
      iframe.width = '1100';
      iframe.height = '1000';
      document.body.append(iframe);
      const bridge = new AppBridge(
        null,
        { name: 'test-host', version: '1.0.0' },
        { serverTools: {} },
        { hostContext: { theme } },
      );
      bridge.oncalltool = (params) => window.hostCallTool(params);
      const initialized = new Promise((resolve) => (bridge.oninitialized = resolve));
      // Listening before the document loads: the app speaks first (ui/initialize) as soon as it runs.
      await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
      iframe.srcdoc = html;
      await initialized;
      await bridge.sendToolResult(toolResult);
      window.setHostTheme = (t) => bridge.sendHostContextChange({ theme: t });
      return 'ready';
    };
  `;
  const out = await build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'warning',
  });
  const script = out.outputFiles[0]!.text.replaceAll('</script', '<\\/script');
  return (
    '<!doctype html><html><head><meta charset="utf-8"><title>test host</title></head>' +
    `<body><script>${script}</script></body></html>`
  );
}
