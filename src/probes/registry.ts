import type { CheckConfig, CheckKind } from '../config/checks.js';
import type { HostConfig } from '../config/schema.js';
import { CpuCollector } from './host/cpu.js';
import { FilesystemCollector } from './host/filesystem.js';
import { LoadCollector } from './host/load.js';
import { MemoryCollector } from './host/memory.js';
import { NetworkCollector } from './host/network.js';
import { ProcessCollector } from './host/process.js';
import type { Observation, Probe } from './types.js';

/** What a collector may tell its owner besides its reading (the monitor logs it). */
export interface CollectorContext {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Host collectors by name, each with its default on/off state, as node_exporter registers collectors. */
export const hostCollectors = {
  cpu: { defaultEnabled: true, create: (c: HostConfig) => new CpuCollector(c.procfs) },
  load: { defaultEnabled: true, create: (_: HostConfig) => new LoadCollector() },
  memory: { defaultEnabled: true, create: (_: HostConfig) => new MemoryCollector() },
  filesystem: {
    defaultEnabled: true,
    create: (c: HostConfig, ctx?: CollectorContext) =>
      new FilesystemCollector({
        ...c.filesystems,
        procfs: c.procfs,
        rootfs: c.rootfs,
        onDropped: (dropped, max) =>
          ctx?.warn(
            { maxMounts: max, dropped: dropped.length, mountpoints: dropped.slice(0, 20).map((m) => m.mountpoint) },
            `watching ${max} filesystems at most (host.filesystems.maxMounts); not watching ${dropped.length} more: ${dropped
              .slice(0, 5)
              .map((m) => m.mountpoint)
              .join(', ')}${dropped.length > 5 ? ', …' : ''}`,
          ),
      }),
  },
  network: {
    defaultEnabled: true,
    create: (c: HostConfig) => new NetworkCollector({ ...c.network, procfs: c.procfs }),
  },
  process: { defaultEnabled: true, create: (_: HostConfig) => new ProcessCollector() },
} as const;
export type HostCollectorName = keyof typeof hostCollectors;

/** One target of a dependency check: the check's options with one instance's address filled in. */
export type InstanceConfig<K extends CheckKind = CheckKind> = Extract<CheckConfig, { kind: K }> & { instance: string };

export interface DependencyProbeModule<K extends CheckKind = CheckKind> {
  create(config: InstanceConfig<K>): Probe<Observation>;
  /** The instance's address for output, with credentials removed. */
  describe(config: InstanceConfig<K>): string;
}

/**
 * Dependency probe kinds, loaded on first use so a daemon that watches no database never loads `pg`
 * or `ioredis` (stdio cold start).
 */
export const dependencyKinds: Record<CheckKind, () => Promise<DependencyProbeModule<any>>> = {
  postgres: () => import('./deps/postgres.js'),
  redis: () => import('./deps/redis.js'),
  http: () => import('./deps/http.js'),
  tcp: () => import('./deps/tcp.js'),
};

/** A check's instances, each as a full config for its probe. A check without `instances` is one instance. */
export function instancesOf(check: CheckConfig): InstanceConfig[] {
  const { instances, ...base } = check as CheckConfig & { instances?: Record<string, unknown>[] };
  if (!instances) return [{ ...base, instance: check.name } as InstanceConfig];
  return instances.map(
    (inst, i) =>
      ({ ...base, ...inst, instance: (inst.name as string | undefined) ?? `${check.name}-${i + 1}` }) as InstanceConfig,
  );
}
