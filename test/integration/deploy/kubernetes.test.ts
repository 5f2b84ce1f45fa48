import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../support/http-daemon.js';
import { ROOT } from '../../support/paths.js';

/**
 * deploy/kubernetes checked offline against the Kubernetes API, as kubeconform would: each document against
 * the API's JSON schema for its kind (kubernetes-models, generated from the Kubernetes OpenAPI spec, and the
 * prometheus-operator CRDs for ServiceMonitor and PrometheusRule), and, since those schemas let unknown
 * fields through, strictly through the API's TypeScript types (an excess field is a type error: a typo such
 * as `livenesProbe` would otherwise be silently ignored by the API server).
 */
interface Manifest {
  file: string;
  doc: any;
}

/** kind → [module under kubernetes-models (or the prometheus-operator models), class name]. */
const MODELS: Record<string, [string, string]> = {
  'apps/v1 Deployment': ['kubernetes-models/apps/v1/Deployment', 'Deployment'],
  'apps/v1 DaemonSet': ['kubernetes-models/apps/v1/DaemonSet', 'DaemonSet'],
  'v1 Service': ['kubernetes-models/v1/Service', 'Service'],
  'v1 ConfigMap': ['kubernetes-models/v1/ConfigMap', 'ConfigMap'],
  'v1 Secret': ['kubernetes-models/v1/Secret', 'Secret'],
  'monitoring.coreos.com/v1 ServiceMonitor': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    'ServiceMonitor',
  ],
  'monitoring.coreos.com/v1 PrometheusRule': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    'PrometheusRule',
  ],
};

const manifests: Manifest[] = readdirSync(join(ROOT, 'deploy/kubernetes'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes', file), 'utf8')).map((d) => ({
      file,
      doc: d.toJS(),
    })),
  )
  .filter((m) => m.doc);
const typeKey = (doc: any) => `${doc.apiVersion} ${doc.kind}`;
const byKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);

async function schemaErrors(doc: any): Promise<string | undefined> {
  const [mod, cls] = MODELS[typeKey(doc)]!;
  const Model = (await import(mod))[cls];
  try {
    new Model(structuredClone(doc)).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** tsc over `const m: IKind = <manifest>` for each document; the diagnostics, empty when all are exact. */
function strictTypeErrors(docs: Manifest[]): string {
  const dir = join(ROOT, 'test-results/kubernetes-types');
  mkdirSync(dir, { recursive: true });
  const lines = docs.map((m, i) => {
    const [mod, cls] = MODELS[typeKey(m.doc)]!;
    return (
      `import type { I${cls} as T${i} } from '${mod}';\nexport const m${i}: T${i} = ${JSON.stringify(m.doc, null, 2)}` +
      `; // ${m.file}`
    );
  });
  writeFileSync(join(dir, 'manifests.ts'), `${lines.join('\n')}\n`);
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      join(dir, 'manifests.ts'),
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return r.status === 0 ? '' : r.stdout + r.stderr;
}

describe('deploy/kubernetes against the Kubernetes API schemas (offline)', () => {
  it('every document is of a kind with a schema here', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(9);
    for (const m of manifests) expect(MODELS[typeKey(m.doc)], `${m.file}: ${typeKey(m.doc)}`).toBeTruthy();
  });

  it.each(manifests.map((m) => [`${m.file} ${m.doc.kind}/${m.doc.metadata?.name}`, m] as const))(
    '%s validates against its JSON schema',
    async (_name, m) => {
      expect(await schemaErrors(m.doc)).toBeUndefined();
    },
  );

  it('the schemas catch a wrong type and a missing required field', async () => {
    const d = structuredClone(byKind('Deployment')[0]);
    d.spec.replicas = 'two';
    expect(await schemaErrors(d)).toMatch(/replicas.*integer/);
    const s = structuredClone(byKind('Deployment')[0]);
    delete s.spec.template.spec.containers[0].name;
    expect(await schemaErrors(s)).toMatch(/name/);
  });

  it('no document carries a field the API does not know (strict, through the API types)', () => {
    expect(strictTypeErrors(manifests)).toBe('');
  }, 60_000);

  it('the strict check catches a misspelt field', () => {
    const d = structuredClone(byKind('Deployment')[0]);
    const c = d.spec.template.spec.containers[0];
    c.livenesProbe = c.livenessProbe;
    delete c.livenessProbe;
    expect(strictTypeErrors([{ file: 'mutated', doc: d }])).toMatch(/livenesProbe/);
  }, 60_000);
});

describe('probes, ports and scrape targets point at what the daemon serves', () => {
  const workloads = [...byKind('Deployment'), ...byKind('DaemonSet')];
  let daemon: Daemon;

  beforeAll(async () => {
    daemon = await startDaemon();
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  /** The config file a workload's container reads: the ConfigMap key mounted where --config points. */
  function configOf(spec: any, container: any): string {
    const path = container.args[container.args.indexOf('--config') + 1] as string;
    const mount = container.volumeMounts.find((v: any) => path.startsWith(`${v.mountPath}/`));
    const volume = spec.volumes.find((v: any) => v.name === mount.name);
    const cm = byKind('ConfigMap').find((c) => c.metadata.name === volume.configMap.name);
    return cm.data[posix.basename(path)];
  }

  it.each(workloads.map((w) => [`${w.kind}/${w.metadata.name}`, w] as const))(
    '%s: every probe names the port the config listens on, at a path the daemon answers',
    async (_n, w) => {
      const spec = w.spec.template.spec;
      for (const c of spec.containers) {
        const { parseConfigText } = await import('../../../src/config/load.js');
        const env = new Proxy({}, { get: () => 'a'.repeat(64) }) as Record<string, string>;
        const listen = parseConfigText(configOf(spec, c), env).http.listen;
        const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
        for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'].map((p) => c[p]).filter(Boolean)) {
          const named = c.ports.find(
            (p: any) => p.name === probe.httpGet.port || p.containerPort === probe.httpGet.port,
          );
          expect(named, `${c.name} probe port ${probe.httpGet.port}`).toBeTruthy();
          expect(named.containerPort).toBe(port);
          const r = await fetch(`${daemon.url}${probe.httpGet.path}`);
          expect([200, 503], `${probe.httpGet.path} answers`).toContain(r.status);
        }
      }
    },
  );

  it(
    'each Service targets a named port of the pods it selects, and the ServiceMonitor scrapes a Service port at ' +
      '/metrics',
    async () => {
      for (const svc of byKind('Service')) {
        const pods = workloads.filter((w) =>
          Object.entries(svc.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
        );
        expect(pods.length, `${svc.metadata.name} selects a workload`).toBeGreaterThan(0);
        for (const p of svc.spec.ports)
          for (const w of pods)
            expect(w.spec.template.spec.containers.flatMap((c: any) => c.ports.map((x: any) => x.name))).toContain(
              p.targetPort,
            );
      }
      for (const sm of byKind('ServiceMonitor')) {
        const services = byKind('Service').filter((s) =>
          Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v),
        );
        expect(services.length).toBeGreaterThan(0);
        for (const e of sm.spec.endpoints) {
          for (const s of services) expect(s.spec.ports.map((p: any) => p.name)).toContain(e.port);
          expect(e.path).toBe('/metrics');
          expect((await fetch(`${daemon.url}${e.path}`)).status).toBe(200);
        }
      }
    },
  );
});
