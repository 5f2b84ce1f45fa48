import { z } from 'zod';
import { Duration, Ratio } from './duration.js';
import { CheckConfig } from './checks.js';

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A warn/fail pair on a ratio, held for `for` before the status changes (Prometheus `for:` semantics). */
const threshold = (warn: number, fail: number, forMs: number) =>
  z
    .object({ warn: Ratio.default(warn), fail: Ratio.default(fail), for: Duration.default(forMs) })
    .strict()
    .refine((t) => t.warn <= t.fail, { message: 'warn must not be above fail', path: ['warn'] })
    .default({ warn, fail, for: forMs });

export const ThresholdsConfig = z
  .object({
    cpu: threshold(0.85, 0.95, 60_000),
    memory: threshold(0.8, 0.9, 60_000),
    disk: threshold(0.85, 0.95, 300_000),
    /** Share of MCP tool calls that errored over `window`; judged only once `minCalls` calls were made in it. */
    toolErrorRate: z
      .object({
        warn: Ratio.default(0.05),
        fail: Ratio.default(0.1),
        for: Duration.default(0),
        window: Duration.default(300_000),
        minCalls: z.number().int().min(1).default(10),
      })
      .strict()
      .refine((t) => t.warn <= t.fail, { message: 'warn must not be above fail', path: ['warn'] })
      .default({ warn: 0.05, fail: 0.1, for: 0, window: 300_000, minCalls: 10 }),
  })
  .strict();

/** Pseudo and virtual filesystems that say nothing about disk space (node_exporter's default exclusions). */
export const DEFAULT_EXCLUDED_FS_TYPES = [
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs', 'efivarfs',
  'fuse.lxcfs', 'fusectl', 'hugetlbfs', 'iso9660', 'mqueue', 'nsfs', 'overlay_ro', 'proc', 'procfs', 'pstore',
  'rpc_pipefs', 'securityfs', 'selinuxfs', 'squashfs', 'sysfs', 'tracefs', 'tmpfs', 'ramfs', 'nfsd', 'shm',
  'fuse.gvfsd-fuse', 'fuse.portal', 'erofs',
];
export const DEFAULT_EXCLUDED_MOUNTS = '^/(dev|proc|run|sys|var/lib/docker/.+|var/lib/containers/storage/.+|snap/.+)($|/)';

export const HostConfig = z
  .object({
    interval: Duration.default(5000),
    timeout: Duration.default(2000),
    /** Where the host's procfs is mounted: `/host/proc` in a container watching its node (DaemonSet). */
    procfs: z.string().default('/proc'),
    /** Where the host's root filesystem is mounted; filesystems are then read from PID 1's mount table. */
    rootfs: z.string().default('/'),
    collectors: z
      .object({
        cpu: z.boolean().default(true),
        load: z.boolean().default(true),
        memory: z.boolean().default(true),
        filesystem: z.boolean().default(true),
        network: z.boolean().default(true),
        process: z.boolean().default(true),
      })
      .strict()
      .default({ cpu: true, load: true, memory: true, filesystem: true, network: true, process: true }),
    filesystems: z
      .object({
        excludeTypes: z.array(z.string()).default(DEFAULT_EXCLUDED_FS_TYPES),
        excludeMountpoints: z
          .string()
          .refine((r) => {
            try {
              new RegExp(r);
              return true;
            } catch {
              return false;
            }
          }, 'invalid regular expression')
          .default(DEFAULT_EXCLUDED_MOUNTS),
      })
      .strict()
      .default({ excludeTypes: DEFAULT_EXCLUDED_FS_TYPES, excludeMountpoints: DEFAULT_EXCLUDED_MOUNTS }),
    network: z
      .object({ excludeInterfaces: z.string().default('^(veth|docker|br-|cni|flannel|cali|virbr)') })
      .strict()
      .default({ excludeInterfaces: '^(veth|docker|br-|cni|flannel|cali|virbr)' }),
    thresholds: ThresholdsConfig.default(ThresholdsConfig.parse({})),
  })
  .strict();

export const HttpConfig = z
  .object({
    listen: z.string().regex(/^(\[[0-9a-f:.]+\]|[^:\s]+):\d{1,5}$/i, 'expected host:port, e.g. 127.0.0.1:9464').default('127.0.0.1:9464'),
  })
  .strict();

export const Config = z
  .object({
    logLevel: LogLevel.default('info'),
    host: HostConfig.default(HostConfig.parse({})),
    checks: z
      .array(CheckConfig)
      .default([])
      .superRefine((checks, ctx) => {
        const seen = new Map<string, number>();
        checks.forEach((c, i) => {
          const prior = seen.get(c.name);
          if (prior !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate check name "${c.name}" (also checks[${prior}])` });
          else seen.set(c.name, i);
          if (c.every !== undefined && c.cron !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'cron'], message: 'give `every` or `cron`, not both' });
        });
      }),
    /** How many dependency checks may run at once across the daemon. */
    concurrency: z.number().int().min(1).max(10_000).default(32),
    /** Default interval for dependency checks that give neither `every` nor `cron`. */
    checkInterval: Duration.default(30_000),
    /** `refresh: true` callers share one run; a new one starts at most this often. */
    refreshMinInterval: Duration.default(2000),
    events: z.object({ max: z.number().int().min(10).max(1_000_000).default(1000) }).strict().default({ max: 1000 }),
    http: HttpConfig.default(HttpConfig.parse({})),
  })
  .strict();

export type Config = z.infer<typeof Config>;
export type HostConfig = z.infer<typeof HostConfig>;
export type ThresholdsConfig = z.infer<typeof ThresholdsConfig>;
export type Threshold = Config['host']['thresholds']['cpu'];
export type ToolErrorThreshold = Config['host']['thresholds']['toolErrorRate'];
export { CheckConfig } from './checks.js';
