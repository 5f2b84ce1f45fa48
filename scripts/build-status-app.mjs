// Build step: the MCP App's single HTML document (ui://vitals/status), made from the status page's own files
// (markup, style, renderer, vendored uPlot) plus the ext-apps client library, all inlined: an app resource
// is one document, and nothing is fetched from anywhere else.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assets = join(root, 'src/http/status/assets');
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
const read = (p) => readFileSync(p, 'utf8');

/** zod bundles every language's error messages; the app never shows one, so only English is kept. */
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

const client = await build({
  entryPoints: [join(root, 'src/mcp/apps/status/client.js')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  write: false,
  legalComments: 'none',
  plugins: [englishOnly],
  logLevel: 'warning',
});
// Text inside <script>/<style> must not close its element early.
const script = (js) => `<script>${js.replaceAll('</script', '<\\/script')}</script>`;
const style = (css) => `<style>${css.replaceAll('</style', '<\\/style')}</style>`;

let html = read(join(assets, 'index.html'));
html = html
  .replace(/^\s*<(link|script)\b[^>]*>(<\/script>)?\n/gm, '')
  // No sign-in inside a host: the host holds the connection and its credentials.
  .replace(/<form id="login"[\s\S]*?<\/form>\n/, '')
  .replace(
    '</head>',
    () => `${style(read(join(uplot, 'dist/uPlot.min.css')) + read(join(assets, 'style.css')))}\n</head>`,
  )
  .replace(
    '</body>',
    () =>
      `${script(read(join(uplot, 'dist/uPlot.iife.min.js')))}\n${script(read(join(assets, 'render.js')))}` +
      `\n${script(client.outputFiles[0].text)}` +
      `\n</body>`,
  );

const out = join(root, 'dist/mcp/apps');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'status.html'), html);
if (process.env.VITALS_BUNDLE_QUIET !== '1') {
  process.stderr.write(
    `status app: ${(html.length / 1024).toFixed(0)} KiB, ${(gzipSync(html).length / 1024).toFixed(0)} KiB gzipped\n`,
  );
}
