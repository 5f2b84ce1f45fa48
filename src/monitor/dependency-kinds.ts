import type { CheckConfig, CheckKind } from '../config/checks.js';
import type { AnySlot } from '../probes/host/collector.js';
import { dependencyKindList } from '../probes/registry.js';
import type { Observation, Probe } from '../probes/types.js';

/** One target of a dependency check: the check's options with one instance's address filled in. */
export type InstanceConfig<K extends CheckKind = CheckKind> = Extract<CheckConfig, { kind: K }> & { instance: string };

export interface DependencyProbeModule<K extends CheckKind = CheckKind> {
  create(config: InstanceConfig<K>): Probe<Observation>;
  /** The instance's address for output, with credentials removed. */
  describe(config: InstanceConfig<K>): string;
}

export const dependencyKinds = Object.fromEntries(dependencyKindList.map((k) => [k.kind, k.load])) as unknown as Record<
  CheckKind,
  () => Promise<DependencyProbeModule<AnySlot>>
>;

/** A check's instances, each as a full config for its probe. A check without `instances` is one instance. */
export function instancesOf(check: CheckConfig): InstanceConfig[] {
  const { instances, ...base } = check as CheckConfig & { instances?: Record<string, unknown>[] };
  if (!instances) return [{ ...base, instance: check.name } as InstanceConfig];
  return instances.map(
    (inst, i) =>
      ({ ...base, ...inst, instance: (inst.name as string | undefined) ?? `${check.name}-${i + 1}` }) as InstanceConfig,
  );
}
