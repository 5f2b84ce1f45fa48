/**
 * The layer drawing of ../shared/DESIGN.md, checked: `npm run lint:deps` (a step of .ci/run). Each layer rule
 * forbids every import of ours outside the layer's own folder and the folders it lists, so a new folder or a new
 * arrow has to be written here. Type-only imports count: a type ties two rooms together as much as a value does.
 */

/** A rule that `from` may import only its own folder and the folders listed (paths relative to src/). */
const only = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: '^src/', pathNot: [`^src/${from}/`, ...allowed.map((a) => `^src/${a}`)] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Layers flow one way; a cycle (even inside one folder) makes start order and tests fragile.',
      severity: 'error',
      from: {},
      // A cycle closed only by type-only imports does not exist at run time (a probe typing its options from its
      // own schema module, which loads the probe lazily); any other cycle fails.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'nothing-imports-cli-or-app',
      comment: 'cli/ and app.ts are the top: the composition root hands everything else what it needs.',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: ['^src/cli/', '^src/app\\.ts$'] },
    },
    only('shared-imports-nothing-of-ours', 'shared', [], 'What every layer may use depends on no layer.'),
    only(
      'probes-import-only-shared',
      'probes',
      ['shared/'],
      'Probes know nothing of config, the monitor, MCP or OTel: each module exports its own option schema.',
    ),
    only(
      'config-imports-shared-and-probes',
      'config',
      ['shared/', 'probes/'],
      'Config derives its check and collector options from the probe modules.',
    ),
    only(
      'monitor-imports-probes-config-shared',
      'monitor',
      ['probes/', 'config/', 'shared/'],
      'The monitor runs probes on the schedules config gives; it publishes, it reads no reader.',
    ),
    only(
      'analysis-reads-monitor-and-store',
      'analysis',
      ['monitor/', 'store/', 'shared/'],
      'Analysis reads the snapshot, events and history; readers (tools, prompts, status page) read analysis.',
    ),
    only(
      'store-reads-monitor',
      'store',
      ['monitor/', 'config/', 'shared/'],
      'The store subscribes to the monitor (recorder); it knows nothing of telemetry, analysis or readers.',
    ),
    only(
      'telemetry-reads-monitor-and-store',
      'telemetry',
      ['monitor/', 'store/', 'config/', 'shared/'],
      'Telemetry subscribes to the monitor and reads store stats; it does not import mcp/ (the observer ' +
        'interface lives where both may import it).',
    ),
    only(
      'fleet-reads-config-store-monitor-types',
      'fleet',
      ['config/', 'shared/', 'store/', 'monitor/schema\\.ts$', 'analysis/'],
      'Fleet reads Prometheus into the local shapes: config, store series helpers, monitor types, analysis types.',
    ),
    {
      name: 'fleet-imports-only-analysis-types',
      comment: 'Fleet hands another host to the analysis in its input shape; it runs no analysis itself.',
      severity: 'error',
      from: { path: '^src/fleet/' },
      to: { path: '^src/analysis/', dependencyTypesNot: ['type-only'] },
    },
    only(
      'status-reads-analysis-monitor-store',
      'status',
      ['monitor/', 'analysis/', 'store/', 'shared/'],
      'The status view (the page and the MCP App draw it): the snapshot and the analysis, with history from the store.',
    ),
    only(
      'mcp-reads-the-lower-layers',
      'mcp',
      ['monitor/', 'analysis/', 'status/', 'store/', 'fleet/', 'config/', 'shared/'],
      'MCP tools, resources and prompts read monitor, analysis, status, store and fleet; never http/ or telemetry/.',
    ),
    {
      name: 'http-reads-the-lower-layers',
      comment:
        'http serves what the lower layers hold; from telemetry only the exposition page (/metrics), and from ' +
        'mcp/ only types: app.ts hands it the MCP server factory.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: {
        path: '^src/',
        pathNot: [
          '^src/(http|monitor|analysis|status|store|fleet|config|shared)/',
          '^src/telemetry/exposition\\.ts$',
          '^src/mcp/',
        ],
      },
    },
    {
      name: 'http-imports-only-mcp-types',
      comment: 'The MCP server is built by app.ts and handed to http as a factory.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/mcp/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-tool-imports-another-tool',
      comment:
        'One file per tool; what tools share lives in types.ts, text.ts or a *-common.ts helper (or below mcp/).',
      severity: 'error',
      from: { path: '^src/mcp/tools/[^/]+\\.ts$', pathNot: '^src/mcp/tools/index\\.ts$' },
      to: {
        path: '^src/mcp/tools/[^/]+\\.ts$',
        pathNot: '^src/mcp/tools/(index|types|text|[a-z-]+-common)\\.ts$',
      },
    },
  ],
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // `import('node-cron')` in a type position and the like are ours only when they resolve under src/.
    exclude: { path: '\\.d\\.ts$' },
  },
};
