import { statfsSync, type StatsFs } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { z } from 'zod';
import { defineHostCollector, type HostCheckId, type HostProbe } from './collector.js';
import { byCodeUnits, ProcFile, unescapeMountPath } from './procfs.js';

export const FilesystemSample = z.object({
  mountpoint: z.string(),
  device: z.string(),
  type: z.string(),
  sizeBytes: z.number(),
  usedBytes: z.number(),
  availableBytes: z.number().describe('free to unprivileged users'),
  reservedBytes: z.number().describe('free but reserved for root'),
  utilization: z.number().describe('used / (used + available), as df reports it, 0..1'),
  inodesTotal: z.number(),
  inodesUsed: z.number(),
  inodesUtilization: z.number().nullable(),
  readOnly: z.boolean(),
});
export type FilesystemSample = z.infer<typeof FilesystemSample>;

/** A real filesystem whose statfs failed or hung: reported, never silently dropped. */
const FilesystemError = z.object({
  mountpoint: z.string(),
  device: z.string(),
  type: z.string(),
  error: z.string(),
});
type FilesystemError = z.infer<typeof FilesystemError>;

interface FilesystemReading {
  samples: FilesystemSample[];
  errors: FilesystemError[];
}

/**
 * Pseudo and virtual filesystems that say nothing about disk space: node_exporter's default exclusions
 * (overlay among them: every container's root is one) plus a few more virtual kinds.
 */
export const DEFAULT_EXCLUDED_FS_TYPES = [
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fuse.lxcfs',
  'fusectl',
  'hugetlbfs',
  'iso9660',
  'mqueue',
  'nsfs',
  'overlay',
  'overlay_ro',
  'aufs',
  'proc',
  'procfs',
  'pstore',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'squashfs',
  'sysfs',
  'tracefs',
  'tmpfs',
  'ramfs',
  'nfsd',
  'shm',
  'fuse.gvfsd-fuse',
  'fuse.portal',
  'erofs',
];
/**
 * Kernel trees, and what container runtimes and the kubelet mount per container or pod (/run covers
 * /run/containerd).
 */
export const DEFAULT_EXCLUDED_MOUNTS =
  '^/(dev|proc|run|sys|var/lib/docker/.+|var/lib/containerd/.+|var/lib/containers/storage/.+|' +
  'var/lib/kubelet/pods/.+|snap/.+)($|/)';
/**
 * Filesystems whose statfs the kernel answers from memory, never waiting on a device or a server: read in place.
 * Any other type (NFS, CIFS, FUSE, Ceph, 9p, or one this list does not know) goes through the thread pool under the
 * run's abort, since its statfs can hang. A trip through the thread pool wakes a worker and then the loop, which
 * on an idle host tick cost more than the syscall.
 */
const STATFS_IN_PLACE = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'f2fs',
  'vfat',
  'exfat',
  'msdos',
  'ntfs3',
  'jfs',
  'tmpfs',
  'ramfs',
]);

/**
 * What a path may cross on its way to a mount read in place: local kinds that never wait on a server. An ext4 under
 * an NFS directory, or with a network filesystem mounted over it, is reached through that server, and stays on the
 * thread pool; so does one under autofs, whose lookups mount on demand.
 */
const LOCAL_PATH_TYPES = new Set([...STATFS_IN_PLACE, 'overlay', 'rootfs', 'proc', 'sysfs', 'devtmpfs', 'squashfs']);

/** The kept mounts whose statfs is made in place: an in-place kind, and nothing else on or above its path. */
export function inPlaceMounts(kept: readonly MountEntry[], all: readonly MountEntry[]): Set<string> {
  const out = new Set<string>();
  for (const m of kept) {
    if (!STATFS_IN_PLACE.has(m.type)) continue;
    const p = m.mountpoint;
    const onPath = (a: MountEntry) => a.mountpoint === p || a.mountpoint === '/' || p.startsWith(`${a.mountpoint}/`);
    if (all.every((a) => !onPath(a) || LOCAL_PATH_TYPES.has(a.type))) out.add(p);
  }
  return out;
}

/** At most this many filesystems are watched: each is a check, a status card and a set of series. */
const DEFAULT_MAX_FILESYSTEMS = 64;

/** `host.filesystems` in the config. */
const FilesystemsConfig = z
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
    /** Past this many filesystems the deepest mountpoints are dropped, with a warning naming them. */
    maxMounts: z.number().int().min(1).max(1000).default(DEFAULT_MAX_FILESYSTEMS),
  })
  .strict()
  .default({
    excludeTypes: DEFAULT_EXCLUDED_FS_TYPES,
    excludeMountpoints: DEFAULT_EXCLUDED_MOUNTS,
    maxMounts: DEFAULT_MAX_FILESYSTEMS,
  });

export interface FilesystemOptions {
  excludeTypes: string[];
  excludeMountpoints: string;
  /** Cap on watched filesystems; unset means no cap. */
  maxMounts?: number;
  procfs?: string;
  rootfs?: string;
  /** Told when the cap drops mounts (once per change of what is dropped, not every tick). */
  onDropped?: (dropped: MountEntry[], max: number) => void;
}

export interface MountEntry {
  device: string;
  mountpoint: string;
  type: string;
  readOnly: boolean;
}

export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, mountpoint, type, options] = line.split(' ');
    if (!device || !mountpoint || !type || !options) continue;
    out.push({ device, mountpoint: unescapeMountPath(mountpoint), type, readOnly: options.split(',').includes('ro') });
  }
  return out;
}

/** Real filesystems only: excluded types and mountpoints dropped, and each device counted once. */
export function selectMounts(mounts: MountEntry[], options: FilesystemOptions): MountEntry[] {
  const types = new Set(options.excludeTypes);
  const excluded = new RegExp(options.excludeMountpoints);
  const byDevice = new Map<string, MountEntry>();
  for (const m of mounts) {
    if (types.has(m.type) || excluded.test(m.mountpoint)) continue;
    const seen = byDevice.get(m.device);
    // A bind mount repeats its device: keep the shortest mountpoint, as df does.
    if (!seen || m.mountpoint.length < seen.mountpoint.length) byDevice.set(m.device, m);
  }
  return [...byDevice.values()].sort((a, b) => byCodeUnits(a.mountpoint, b.mountpoint));
}

/**
 * At most `max` mounts, the shallowest mountpoints first (`/`, `/home` before `/srv/a/b`), so a burst of
 * mounts somewhere deep (per-container or per-volume paths no exclusion caught) cannot push out the ones that
 * matter nor grow checks and series without bound.
 */
export function capMounts(
  mounts: MountEntry[],
  max: number | undefined,
): { kept: MountEntry[]; dropped: MountEntry[] } {
  if (max === undefined || mounts.length <= max) return { kept: mounts, dropped: [] };
  const depth = (m: MountEntry) => (m.mountpoint === '/' ? 0 : m.mountpoint.split('/').length - 1);
  const ranked = [...mounts].sort((a, b) => depth(a) - depth(b) || byCodeUnits(a.mountpoint, b.mountpoint));
  const byPath = (a: MountEntry, b: MountEntry) => byCodeUnits(a.mountpoint, b.mountpoint);
  return { kept: ranked.slice(0, max).sort(byPath), dropped: ranked.slice(max).sort(byPath) };
}

/**
 * Filesystems from /proc/self/mounts and statfs(2). systeminformation's fsSize() forks `df` on every call;
 * statfs is one syscall per mount. Each statfs is raced against the signal so one hung NFS mount cannot
 * hold up the others.
 */
export class FilesystemCollector implements HostProbe<FilesystemReading> {
  readonly kind = 'filesystem';
  private readonly rootfs: string;
  private droppedKey = '';
  private readonly table: ProcFile;
  /** The mount table last read and what it selected: it rarely changes, and parsing it was most of a run's JS. */
  private lastTable: string | undefined;
  private selected: { kept: MountEntry[]; dropped: MountEntry[] } = { kept: [], dropped: [] };
  /** Mountpoints whose statfs is made in place (inPlaceMounts). */
  private inPlace = new Set<string>();

  constructor(private readonly options: FilesystemOptions) {
    this.rootfs = (options.rootfs ?? '/').replace(/\/+$/, '') || '/';
    // Inside a container watching its node, the node's mounts are PID 1's (with hostPID), not ours.
    this.table = new ProcFile(`${options.procfs ?? '/proc'}/${this.rootfs === '/' ? 'self/mounts' : '1/mounts'}`);
  }

  async run(signal: AbortSignal): Promise<FilesystemReading> {
    const text = await this.table.read(signal);
    if (text !== this.lastTable) {
      const all = parseMounts(text);
      this.selected = capMounts(selectMounts(all, this.options), this.options.maxMounts);
      this.inPlace = inPlaceMounts(this.selected.kept, all);
      this.lastTable = text;
      const { dropped } = this.selected;
      const key = dropped.map((m) => m.mountpoint).join('\n');
      if (key !== this.droppedKey) {
        this.droppedKey = key;
        if (dropped.length) this.options.onDropped?.(dropped, this.options.maxMounts!);
      }
    }
    const mounts = this.selected.kept;
    const reading: FilesystemReading = { samples: [], errors: [] };
    // One listener for the run, not one per mount.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});
    // A hung NFS mount or a vanished path is a finding (the disk check turns warn), not a reason to drop the mount.
    await Promise.all(
      mounts.map((m) =>
        this.stat(m, aborted).then(
          (s) => (s ? reading.samples.push(s) : undefined),
          (e: unknown) =>
            reading.errors.push({
              mountpoint: m.mountpoint,
              device: m.device,
              type: m.type,
              error: signal.aborted
                ? 'statfs timed out'
                : `statfs failed (${(e as NodeJS.ErrnoException)?.code ?? 'error'})`,
            }),
        ),
      ),
    );
    signal.removeEventListener('abort', onAbort!);
    reading.samples.sort((a, b) => byCodeUnits(a.mountpoint, b.mountpoint));
    return reading;
  }

  close(): Promise<void> {
    return this.table.close();
  }

  /** @param aborted rejects when the run is aborted */
  private stat(m: MountEntry, aborted: Promise<never>): Promise<FilesystemSample | undefined> {
    const path = this.rootfs === '/' ? m.mountpoint : `${this.rootfs}${m.mountpoint}`;
    if (!this.inPlace.has(m.mountpoint)) return Promise.race([statfs(path), aborted]).then((s) => sampleOf(m, s));
    try {
      return Promise.resolve(sampleOf(m, statfsSync(path)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

function sampleOf(m: MountEntry, s: StatsFs): FilesystemSample | undefined {
  if (s.blocks === 0) return undefined;
  const size = s.blocks * s.bsize;
  const free = s.bfree * s.bsize;
  const available = s.bavail * s.bsize;
  const used = size - free;
  const inodesUsed = s.files - s.ffree;
  return {
    mountpoint: m.mountpoint,
    device: m.device,
    type: m.type,
    sizeBytes: size,
    usedBytes: used,
    availableBytes: available,
    reservedBytes: free - available,
    utilization: used + available > 0 ? used / (used + available) : 0,
    inodesTotal: s.files,
    inodesUsed,
    inodesUtilization: s.files > 0 ? inodesUsed / s.files : null,
    readOnly: m.readOnly,
  };
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const disk = (mountpoint: string) =>
  ({
    name: `disk:${mountpoint}`,
    kind: 'disk',
    component: 'disk',
    measurement: 'utilization',
    componentId: mountpoint,
    threshold: 'disk',
  }) as const satisfies HostCheckId & { threshold: 'disk' };

export const collector = defineHostCollector({
  name: 'filesystem',
  defaultEnabled: true,
  state: {
    filesystems: z.array(FilesystemSample),
    /** Real filesystems that could not be read this round. */
    filesystemErrors: z.array(FilesystemError).optional(),
  },
  toState: (r: FilesystemReading) => ({ filesystems: r.samples, filesystemErrors: r.errors }),
  options: { filesystems: FilesystemsConfig },
  create: (paths, { filesystems }, ctx) =>
    new FilesystemCollector({
      ...filesystems,
      procfs: paths.procfs,
      rootfs: paths.rootfs,
      onDropped: (dropped, max) => {
        const first = dropped.slice(0, 5).map((m) => m.mountpoint);
        ctx.warn(
          { maxMounts: max, dropped: dropped.length, mountpoints: dropped.slice(0, 20).map((m) => m.mountpoint) },
          `watching ${max} filesystems at most (host.filesystems.maxMounts); ` +
            `not watching ${dropped.length} more: ${first.join(', ')}${dropped.length > 5 ? ', …' : ''}`,
        );
      },
    }),
  metrics: {
    instruments: [
      {
        name: 'system.filesystem.usage',
        kind: 'updowncounter',
        unit: 'By',
        description: 'Filesystem space by state: used, free to users, and reserved for root.',
      },
      {
        name: 'system.filesystem.utilization',
        kind: 'gauge',
        unit: '1',
        description: 'Share of filesystem space used, as df reports it: used / (used + free to users).',
      },
      { name: 'system.filesystem.limit', kind: 'updowncounter', unit: 'By', description: 'Filesystem size.' },
      {
        name: 'system.filesystem.inodes.utilization',
        kind: 'gauge',
        unit: '1',
        description: 'Share of filesystem inodes used.',
      },
    ],
    observe({ filesystems }, emit) {
      for (const fs of filesystems) {
        const base = {
          'system.device': fs.device,
          'system.filesystem.mountpoint': fs.mountpoint,
          'system.filesystem.type': fs.type,
          'system.filesystem.mode': fs.readOnly ? 'ro' : 'rw',
        };
        emit('system.filesystem.usage', fs.usedBytes, { ...base, 'system.filesystem.state': 'used' });
        emit('system.filesystem.usage', fs.availableBytes, { ...base, 'system.filesystem.state': 'free' });
        emit('system.filesystem.usage', fs.reservedBytes, { ...base, 'system.filesystem.state': 'reserved' });
        emit('system.filesystem.utilization', fs.utilization, { ...base, 'system.filesystem.state': 'used' });
        emit('system.filesystem.limit', fs.sizeBytes, base);
        if (fs.inodesUtilization !== null) emit('system.filesystem.inodes.utilization', fs.inodesUtilization, base);
      }
    },
  },
  series: {
    families: [
      { family: 'disk.utilization', unit: 'ratio', description: 'used share of a filesystem, per mountpoint, 0..1' },
    ],
    values: ({ filesystems }) => filesystems.map((f) => [`disk.utilization:${f.mountpoint}`, f.utilization]),
  },
  thresholds: { disk: { warn: 0.85, fail: 0.95, for: 300_000 } },
  checks: {
    judge: ({ filesystems, filesystemErrors }) => [
      ...(filesystemErrors ?? []).map((e) => ({ ...disk(e.mountpoint), unknown: e.error })),
      ...filesystems.map((fs) => {
        // Running out of inodes fills a disk as surely as running out of bytes.
        const inodes = fs.inodesUtilization ?? 0;
        const byInodes = inodes > fs.utilization;
        return {
          ...disk(fs.mountpoint),
          value: Math.max(fs.utilization, inodes),
          describe: (v: number) => `${fs.mountpoint} ${pct(v)} ${byInodes ? 'of inodes' : 'full'}`,
        };
      }),
    ],
    // The whole collector failed: every disk seen before is unknown now, not gone.
    missing: (held) => held.filter((n) => n.startsWith('disk:')).map((n) => disk(n.slice(5))),
  },
  report: {
    section: 'filesystems',
    describes: 'every real filesystem (bytes, inodes, read-only flag)',
    schema: z.array(FilesystemSample),
    data: ({ filesystems }) => filesystems,
    text: (list: FilesystemSample[], f) =>
      list.map(
        (d) =>
          `Disk ${d.mountpoint}: ${f.bytes(d.usedBytes)} of ${f.bytes(d.sizeBytes)} (${pct(d.utilization)})` +
          (d.readOnly ? ', read-only' : ''),
      ),
  },
});
