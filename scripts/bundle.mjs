// Build step after tsc: bundle the CLI into dist/cli/main.js plus lazily loaded chunks beside it.
// Why: a cold start spent most of its time resolving and compiling ~300 small modules (ours, the MCP SDK's,
// zod's); one file per entry point with code-split chunks for what a mode does not use starts faster than a
// bare SDK server. tsc's per-module output stays in dist/ for the library entry and the benches.
//
// Kept external: packages whose instrumentation hooks `require` (pg, ioredis, the OpenTelemetry SDK, which
// must see the real modules to patch them), and fastify/pino, which load plugins and workers by path.
import { build } from 'esbuild';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/cli');

/**
 * Every chunk lands in dist/cli/, but code reads files relative to where tsc puts it
 * (`new URL('../status/assets/', import.meta.url)` from dist/http/routes/). Rewrite each module's
 * `import.meta.url` to the URL of its tsc output, so relative paths and createRequire mean what they did.
 */
const keepModuleUrl = {
  name: 'keep-module-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
      const compiled = join(root, 'dist', relative(join(root, 'src'), args.path)).replace(/\.ts$/, '.js');
      const rel = relative(outdir, compiled).split(sep).join('/');
      return {
        contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: 'ts',
      };
    });
  },
};

/**
 * The SDK imports its validator (Ajv, ~200 KiB evaluated at load) through its `_shims` entry, whatever a server
 * validates; ours loads it on first use. Same exports, so the SDK cannot tell.
 */
const sdkShims = {
  name: 'sdk-shims',
  setup(b) {
    b.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({
      path: join(root, 'src/mcp/sdk-shims.ts'),
    }));
  },
};

/**
 * zod's namespace (`z.locales`, `core.locales`) re-exports its 48 error-message locales, ~300 KiB of the bundle
 * that every start parsed and kept in the heap, and `import { z }` keeps all of it (a namespace used as a value
 * cannot be tree-shaken). We set no locale: zod uses English unless `z.config(z.locales.xx())` says otherwise,
 * and English stays, so the bundle's `locales` namespace is `{ en }` (tsc's dist/ keeps zod whole).
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '../locales/index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * pino requires thread-stream (and with it worker_threads and assert) when it loads, for transports, which we
 * never start: the daemon logs to stderr through sonic-boom. pino only ever calls `new ThreadStream(...)`, so it
 * gets a constructor that requires the real one when first called.
 */
const lazyThreadStream = {
  name: 'lazy-thread-stream',
  setup(b) {
    b.onResolve({ filter: /^thread-stream$/ }, (args) =>
      /[\\/]node_modules[\\/]pino[\\/]/.test(args.importer)
        ? { path: 'thread-stream', namespace: 'lazy-thread-stream' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-thread-stream' }, () => ({
      contents: "module.exports = function ThreadStream(options) { return new (require('thread-stream'))(options); };",
      loader: 'js',
    }));
  },
};

/**
 * sonic-boom requires node:assert (and its error and diff modules, ~2 ms of a cold start) for one check on a
 * path we do not take at start; it gets an assert that requires the real one when first called.
 */
const lazyAssert = {
  name: 'lazy-assert',
  setup(b) {
    b.onResolve({ filter: /^assert$/ }, (args) =>
      /[\\/]node_modules[\\/]sonic-boom[\\/]/.test(args.importer)
        ? { path: 'assert', namespace: 'lazy-assert' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-assert' }, () => ({
      contents: "module.exports = function assert(value, message) { require('assert')(value, message); };",
      loader: 'js',
    }));
  },
};

const started = performance.now();
// Chunk names carry content hashes: drop the previous build's so dist/ holds only what main.js can load.
for (const f of await readdir(outdir).catch(() => [])) if (f.startsWith('chunk-')) await rm(join(outdir, f));
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Whitespace and syntax only: names stay readable in stack traces; V8 keeps less source per chunk.
  minifyWhitespace: true,
  minifySyntax: true,
  chunkNames: 'chunk-[hash]',
  external: ['pg', 'pg-*', 'ioredis', '@opentelemetry/*', 'thread-stream', 'fastify', '@fastify/*'],
  // Bundled CommonJS (the SDK's ajv, yaml) calls require(); ESM output has none of its own.
  banner: {
    js:
      "import { createRequire as __vitalsRequire } from 'node:module'; const require = __vitalsRequire(" +
      'import.meta.url);',
  },
  plugins: [sdkShims, zodEnglishOnly, lazyThreadStream, lazyAssert, keepModuleUrl],
  metafile: true,
  logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
const bytes = files.reduce((s, f) => s + result.metafile.outputs[f].bytes, 0);
if (process.env.VITALS_BUNDLE_QUIET !== '1') {
  process.stderr.write(
    `bundle: ${files.length} files, ${(bytes / 1024).toFixed(0)} KiB ` +
      `in ${(performance.now() - started).toFixed(0)} ms\n`,
  );
}
