// Generates deploy/kubernetes/prometheusrule.yaml (Prometheus Operator) from alerts/vitals.rules.yml, so the
// cluster runs exactly the rules promtool tests.  Run: npm run gen
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The file this script owns, by path from the repository root, with its text (read from alerts/ at each call). */
export function prometheusRuleFiles() {
  const rules = parse(readFileSync(`${root}alerts/vitals.rules.yml`, 'utf8'));
  const doc = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'mcp-vitals', labels: { 'app.kubernetes.io/name': 'mcp-vitals', role: 'alert-rules' } },
    spec: rules,
  };
  const header = '# Generated from alerts/vitals.rules.yml by scripts/build-prometheus-rule.mjs; do not edit.\n';
  return { 'deploy/kubernetes/prometheusrule.yaml': header + stringify(doc, { lineWidth: 0 }) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [path, text] of Object.entries(prometheusRuleFiles())) writeFileSync(root + path, text);
}
