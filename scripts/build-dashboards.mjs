// Generates dashboards/*.json (Grafana schema 39+) from one description, so every dashboard has the same
// variables, the datasource as a variable on every panel and target, and a unit on every panel.
// Run: npm run gen (the JSON files are committed; test/integration/deploy/generated.test.ts checks them).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable, filled in by Grafana
const DS = { type: 'prometheus', uid: '${datasource}' };
const SEL = 'job=~"$job",instance=~"$instance"';

function templating() {
  return {
    list: [
      {
        name: 'datasource',
        label: 'Data source',
        type: 'datasource',
        query: 'prometheus',
        current: {},
        hide: 0,
        refresh: 1,
        regex: '',
        includeAll: false,
        multi: false,
      },
      {
        name: 'job',
        label: 'Job',
        type: 'query',
        datasource: DS,
        query: { query: 'label_values(target_info{service_name="mcp-vitals"}, job)', refId: 'job' },
        definition: 'label_values(target_info{service_name="mcp-vitals"}, job)',
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: '.+',
        current: {},
        sort: 1,
        hide: 0,
      },
      {
        name: 'instance',
        label: 'Instance',
        type: 'query',
        datasource: DS,
        query: {
          query: 'label_values(target_info{service_name="mcp-vitals",job=~"$job"}, instance)',
          refId: 'instance',
        },
        definition: 'label_values(target_info{service_name="mcp-vitals",job=~"$job"}, instance)',
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: '.+',
        current: {},
        sort: 1,
        hide: 0,
      },
    ],
  };
}

let nextId = 1;
function panel(
  type,
  title,
  { x, y, w = 12, h = 8, unit, targets, description, min, max, stack, mappings, thresholds, options = {}, custom = {} },
) {
  return {
    id: nextId++,
    type,
    title,
    description,
    datasource: DS,
    gridPos: { x, y, w, h },
    fieldConfig: {
      defaults: {
        unit,
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
        ...(mappings ? { mappings } : {}),
        thresholds: thresholds ?? { mode: 'absolute', steps: [{ color: 'green', value: null }] },
        custom:
          type === 'timeseries'
            ? {
                drawStyle: 'line',
                lineWidth: 1,
                fillOpacity: stack ? 30 : 10,
                showPoints: 'never',
                stacking: { mode: stack ? 'normal' : 'none', group: 'A' },
                ...custom,
              }
            : custom,
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] },
      tooltip: { mode: 'multi', sort: 'desc' },
      ...options,
    },
    targets: targets.map(([expr, legendFormat], i) => ({
      datasource: DS,
      refId: String.fromCharCode(65 + i),
      expr,
      legendFormat,
      range: true,
      instant: false,
    })),
  };
}

const pct = (steps) => ({
  mode: 'absolute',
  steps: [
    { color: 'green', value: null },
    { color: 'orange', value: steps[0] },
    { color: 'red', value: steps[1] },
  ],
});
const STATUS_MAPPINGS = [
  {
    type: 'value',
    options: {
      0: { text: 'ok', color: 'green', index: 0 },
      1: { text: 'warning', color: 'orange', index: 1 },
      2: { text: 'failed', color: 'red', index: 2 },
    },
  },
];
const DEP = 'kind=~"postgres|redis|http|tcp"';

function dashboard(uid, title, description, panels, tags) {
  return {
    uid,
    title,
    description,
    tags: ['mcp-vitals', ...tags],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: [
      {
        title: 'mcp-vitals',
        type: 'dashboards',
        tags: ['mcp-vitals'],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
      },
    ],
    templating: templating(),
    panels,
  };
}

nextId = 1;
const host = dashboard(
  'mcp-vitals-host',
  'mcp-vitals / Host',
  'CPU, load, memory, swap, filesystems and network of each host mcp-vitals runs on.',
  [
    panel('stat', 'CPU busy', {
      x: 0,
      y: 0,
      w: 6,
      h: 4,
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: pct([0.85, 0.95]),
      targets: [
        [`1 - sum by (instance) (system_cpu_utilization_ratio{${SEL},cpu_mode=~"idle|iowait"})`, '{{instance}}'],
      ],
      options: { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'background' },
    }),
    panel('stat', 'Memory used', {
      x: 6,
      y: 0,
      w: 6,
      h: 4,
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: pct([0.8, 0.9]),
      targets: [
        [`sum by (instance) (system_memory_utilization_ratio{${SEL},system_memory_state="used"})`, '{{instance}}'],
      ],
      options: { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'background' },
    }),
    panel('stat', 'Fullest filesystem', {
      x: 12,
      y: 0,
      w: 6,
      h: 4,
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: pct([0.85, 0.95]),
      targets: [
        [
          `max by (instance) (system_filesystem_utilization_ratio{${SEL},system_filesystem_state="used"})`,
          '{{instance}}',
        ],
      ],
      options: { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'background' },
    }),
    panel('stat', 'Load per core (1m)', {
      x: 18,
      y: 0,
      w: 6,
      h: 4,
      unit: 'short',
      thresholds: pct([1, 2]),
      targets: [[`system_cpu_load_average_1m{${SEL}} / system_cpu_logical_cpus{${SEL}}`, '{{instance}}']],
      options: { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'background' },
    }),
    panel('timeseries', 'CPU by mode', {
      x: 0,
      y: 4,
      unit: 'percentunit',
      min: 0,
      max: 1,
      stack: true,
      description: 'Share of all CPUs per mode (idle left out).',
      targets: [
        [
          `sum by (instance, cpu_mode) (system_cpu_utilization_ratio{${SEL},cpu_mode!="idle"})`,
          '{{instance}} {{cpu_mode}}',
        ],
      ],
    }),
    panel('timeseries', 'Load average per core', {
      x: 12,
      y: 4,
      unit: 'short',
      min: 0,
      description: 'Load averages divided by the number of logical CPUs: above 1 means work is waiting.',
      targets: [
        [`system_cpu_load_average_1m{${SEL}} / system_cpu_logical_cpus{${SEL}}`, '{{instance}} 1m'],
        [`system_cpu_load_average_5m{${SEL}} / system_cpu_logical_cpus{${SEL}}`, '{{instance}} 5m'],
        [`system_cpu_load_average_15m{${SEL}} / system_cpu_logical_cpus{${SEL}}`, '{{instance}} 15m'],
      ],
    }),
    panel('timeseries', 'Memory', {
      x: 0,
      y: 12,
      unit: 'bytes',
      min: 0,
      stack: true,
      description: 'Used is total minus available; cached and buffers can be reclaimed.',
      targets: [
        [`system_memory_usage_bytes{${SEL}}`, '{{instance}} {{system_memory_state}}'],
        [`system_memory_limit_bytes{${SEL}}`, '{{instance}} total'],
      ],
    }),
    panel('timeseries', 'Swap', {
      x: 12,
      y: 12,
      unit: 'bytes',
      min: 0,
      stack: true,
      description: 'Swap space by state (zero on hosts without swap).',
      targets: [[`system_paging_usage_bytes{${SEL}}`, '{{instance}} {{system_paging_state}}']],
    }),
    panel('timeseries', 'Filesystem used', {
      x: 0,
      y: 20,
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: pct([0.85, 0.95]),
      custom: { thresholdsStyle: { mode: 'line' } },
      targets: [
        [
          `system_filesystem_utilization_ratio{${SEL},system_filesystem_state="used"}`,
          '{{instance}} {{system_filesystem_mountpoint}}',
        ],
      ],
    }),
    panel('table', 'Days until full', {
      x: 12,
      y: 20,
      unit: 'd',
      description: 'Free space divided by how fast it shrank over the last 6 hours; empty when it is not shrinking.',
      targets: [
        [
          `(system_filesystem_usage_bytes{${SEL},system_filesystem_state="free"}` +
            ` / -deriv(system_filesystem_usage_bytes{${SEL},system_filesystem_state="free"}[6h]) / 86400) > 0`,
          '{{instance}} {{system_filesystem_mountpoint}}',
        ],
      ],
      options: { showHeader: true },
    }),
    panel('timeseries', 'Network traffic', {
      x: 0,
      y: 28,
      unit: 'Bps',
      description: 'Bytes per second per interface; transmit drawn below zero.',
      custom: { transform: 'negative-Y' },
      targets: [
        [
          `rate(system_network_io_bytes_total{${SEL},network_io_direction="receive"}[$__rate_interval])`,
          '{{instance}} {{network_interface_name}} receive',
        ],
        [
          `-rate(system_network_io_bytes_total{${SEL},network_io_direction="transmit"}[$__rate_interval])`,
          '{{instance}} {{network_interface_name}} transmit',
        ],
      ],
    }),
    panel('timeseries', 'Network errors and drops', {
      x: 12,
      y: 28,
      unit: 'pps',
      min: 0,
      targets: [
        [
          `rate(system_network_errors_total{${SEL}}[$__rate_interval])`,
          '{{instance}} {{network_interface_name}} {{network_io_direction}} errors',
        ],
        [
          `rate(system_network_packet_dropped_total{${SEL}}[$__rate_interval])`,
          '{{instance}} {{network_interface_name}} {{network_io_direction}} dropped',
        ],
      ],
    }),
  ],
  ['host'],
);

nextId = 1;
const deps = dashboard(
  'mcp-vitals-dependencies',
  'mcp-vitals / Dependencies',
  'Status, latency, circuit breakers and certificates of the dependencies mcp-vitals checks.',
  [
    panel('state-timeline', 'Status per check', {
      x: 0,
      y: 0,
      w: 24,
      h: 8,
      unit: 'none',
      mappings: STATUS_MAPPINGS,
      thresholds: {
        mode: 'absolute',
        steps: [
          { color: 'green', value: null },
          { color: 'orange', value: 1 },
          { color: 'red', value: 2 },
        ],
      },
      description: 'Reported status (after failure/success thresholds): ok, warning, failed.',
      targets: [[`max by (check) (vitals_check_status{${SEL},${DEP}})`, '{{check}}']],
      options: { showValue: 'never', mergeValues: true, rowHeight: 0.8 },
    }),
    panel('timeseries', 'Latency by check', {
      x: 0,
      y: 8,
      unit: 's',
      min: 0,
      description: 'Response time of the latest run (slowest instance that answered).',
      targets: [[`vitals_check_latency_seconds{${SEL}}`, '{{instance}} {{check}}']],
    }),
    panel('timeseries', 'Check run duration p95', {
      x: 12,
      y: 8,
      unit: 's',
      min: 0,
      description: 'Whole rounds, including timeouts and retries.',
      targets: [
        [
          `histogram_quantile(0.95, sum by (check, le)` +
            ` (rate(vitals_check_duration_seconds_bucket{${SEL},${DEP}}[$__rate_interval])))`,
          '{{check}}',
        ],
      ],
    }),
    panel('state-timeline', 'Circuit breakers', {
      x: 0,
      y: 16,
      w: 12,
      unit: 'none',
      mappings: [
        {
          type: 'value',
          options: { 0: { text: 'closed', color: 'green', index: 0 }, 1: { text: 'open', color: 'red', index: 1 } },
        },
      ],
      targets: [[`max by (check) (vitals_breaker_open{${SEL}})`, '{{check}}']],
      options: { showValue: 'never', mergeValues: true },
    }),
    panel('bargauge', 'Certificate days left', {
      x: 12,
      y: 16,
      unit: 'd',
      min: 0,
      thresholds: {
        mode: 'absolute',
        steps: [
          { color: 'red', value: null },
          { color: 'orange', value: 7 },
          { color: 'green', value: 14 },
        ],
      },
      targets: [[`min by (check) ((vitals_cert_expiry_timestamp_seconds{${SEL}} - time()) / 86400)`, '{{check}}']],
      options: { orientation: 'horizontal', displayMode: 'gradient', reduceOptions: { calcs: ['lastNotNull'] } },
    }),
    panel('timeseries', 'Failed runs', {
      x: 0,
      y: 24,
      w: 24,
      unit: 'ops',
      min: 0,
      description: 'Runs per second that failed (before failure thresholds apply).',
      targets: [
        [
          `sum by (check) (rate(vitals_check_runs_total{${SEL},${DEP},outcome="failure"}[$__rate_interval]))`,
          '{{check}}',
        ],
      ],
    }),
  ],
  ['dependencies'],
);

nextId = 1;
const TOOL = `${SEL},mcp_method_name="tools/call"`;
const mcp = dashboard(
  'mcp-vitals-mcp',
  'mcp-vitals / MCP server',
  'Rate, errors and duration of MCP tool calls, sessions, and refused HTTP requests.',
  [
    panel('timeseries', 'Tool calls by tool', {
      x: 0,
      y: 0,
      unit: 'reqps',
      min: 0,
      targets: [
        [
          `sum by (gen_ai_tool_name) (rate(mcp_server_operation_duration_seconds_count{${TOOL}}[$__rate_interval]))`,
          '{{gen_ai_tool_name}}',
        ],
      ],
    }),
    panel('timeseries', 'Tool call errors by tool', {
      x: 12,
      y: 0,
      unit: 'reqps',
      min: 0,
      targets: [
        [
          `sum by (gen_ai_tool_name, error_type)` +
            ` (rate(mcp_server_operation_duration_seconds_count{${TOOL},error_type!=""}[$__rate_interval]))`,
          '{{gen_ai_tool_name}} {{error_type}}',
        ],
      ],
    }),
    panel('timeseries', 'Tool call duration p95', {
      x: 0,
      y: 8,
      unit: 's',
      min: 0,
      targets: [
        [
          `histogram_quantile(0.95, sum by (gen_ai_tool_name, le)` +
            ` (rate(mcp_server_operation_duration_seconds_bucket{${TOOL}}[$__rate_interval])))`,
          '{{gen_ai_tool_name}} p95',
        ],
        [
          `histogram_quantile(0.5, sum by (gen_ai_tool_name, le)` +
            ` (rate(mcp_server_operation_duration_seconds_bucket{${TOOL}}[$__rate_interval])))`,
          '{{gen_ai_tool_name}} p50',
        ],
      ],
    }),
    panel('timeseries', 'Error ratio', {
      x: 12,
      y: 8,
      unit: 'percentunit',
      min: 0,
      thresholds: pct([0.05, 0.1]),
      custom: { thresholdsStyle: { mode: 'line' } },
      targets: [
        [
          `sum by (instance) (rate(mcp_server_operation_duration_seconds_count{${TOOL},error_type!=""` +
            `,error_type!~"client\\\\..*"}[5m]))` +
            ` / sum by (instance) (rate(mcp_server_operation_duration_seconds_count{${TOOL}}[5m]))`,
          '{{instance}}',
        ],
      ],
    }),
    panel('timeseries', 'Sessions', {
      x: 0,
      y: 16,
      unit: 'short',
      min: 0,
      description: 'Open MCP sessions (stateful HTTP and stdio) and sessions ended per second.',
      targets: [
        [
          `sum by (instance, network_transport) (vitals_mcp_sessions{${SEL}})`,
          '{{instance}} {{network_transport}} open',
        ],
        [
          `sum by (instance) (rate(mcp_server_session_duration_seconds_count{${SEL}}[$__rate_interval]))`,
          '{{instance}} ended/s',
        ],
      ],
    }),
    panel('timeseries', 'Refused HTTP requests (401, 403, 429)', {
      x: 12,
      y: 16,
      unit: 'reqps',
      min: 0,
      targets: [
        [
          `sum by (http_response_status_code) (rate(http_server_request_duration_seconds_count{${SEL}` +
            `,http_response_status_code=~"401|403|429"}[$__rate_interval]))`,
          '{{http_response_status_code}}',
        ],
      ],
    }),
    panel('timeseries', 'MCP requests by method', {
      x: 0,
      y: 24,
      w: 24,
      unit: 'reqps',
      min: 0,
      targets: [
        [
          `sum by (mcp_method_name, network_transport)` +
            ` (rate(mcp_server_operation_duration_seconds_count{${SEL}}[$__rate_interval]))`,
          '{{mcp_method_name}} ({{network_transport}})',
        ],
      ],
    }),
  ],
  ['mcp'],
);

/** The files this script owns (path from the repository root → text): what gen writes and the test compares. */
export function dashboardFiles() {
  return Object.fromEntries(
    [
      ['host.json', host],
      ['dependencies.json', deps],
      ['mcp.json', mcp],
    ].map(([file, d]) => [`dashboards/${file}`, `${JSON.stringify(d, null, 2)}\n`]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  for (const [path, text] of Object.entries(dashboardFiles())) writeFileSync(root + path, text);
}
