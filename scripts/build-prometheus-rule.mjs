// Generates deploy/kubernetes/prometheusrule.yaml (Prometheus Operator) from alerts/vitals.rules.yml, so the
// cluster runs exactly the rules promtool tests.  Run: node scripts/build-prometheus-rule.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const rules = parse(readFileSync(`${root}alerts/vitals.rules.yml`, 'utf8'));
const doc = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'mcp-vitals', labels: { 'app.kubernetes.io/name': 'mcp-vitals', role: 'alert-rules' } },
  spec: rules,
};
writeFileSync(
  `${root}deploy/kubernetes/prometheusrule.yaml`,
  `# Generated from alerts/vitals.rules.yml by scripts/` +
    `build-prometheus-rule.mjs; do not edit.\n${stringify(doc, { lineWidth: 0 })}`,
);
