import { statfs } from 'node:fs/promises';
import type { Probe } from '../types.js';
import { readProc, unescapeMountPath } from './procfs.js';
import type { FilesystemReading, FilesystemSample } from './types.js';

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
  return [...byDevice.values()].sort((a, b) => a.mountpoint.localeCompare(b.mountpoint));
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
  const ranked = [...mounts].sort((a, b) => depth(a) - depth(b) || a.mountpoint.localeCompare(b.mountpoint));
  const byPath = (a: MountEntry, b: MountEntry) => a.mountpoint.localeCompare(b.mountpoint);
  return { kept: ranked.slice(0, max).sort(byPath), dropped: ranked.slice(max).sort(byPath) };
}

/**
 * Filesystems from /proc/self/mounts and statfs(2). systeminformation's fsSize() forks `df` on every call;
 * statfs is one syscall per mount. Each statfs is raced against the signal so one hung NFS mount cannot
 * hold up the others.
 */
export class FilesystemCollector implements Probe<FilesystemReading> {
  readonly kind = 'filesystem';
  private readonly rootfs: string;
  private droppedKey = '';

  constructor(private readonly options: FilesystemOptions) {
    this.rootfs = (options.rootfs ?? '/').replace(/\/+$/, '') || '/';
  }

  async run(signal: AbortSignal): Promise<FilesystemReading> {
    const procfs = this.options.procfs ?? '/proc';
    // Inside a container watching its node, the node's mounts are PID 1's (with hostPID), not ours.
    const table = this.rootfs === '/' ? 'self/mounts' : '1/mounts';
    const { kept: mounts, dropped } = capMounts(
      selectMounts(parseMounts(await readProc(procfs, table, signal)), this.options),
      this.options.maxMounts,
    );
    const key = dropped.map((m) => m.mountpoint).join('\n');
    if (key !== this.droppedKey) {
      this.droppedKey = key;
      if (dropped.length) this.options.onDropped?.(dropped, this.options.maxMounts!);
    }
    const reading: FilesystemReading = { samples: [], errors: [] };
    // A hung NFS mount or a vanished path is a finding (the disk check turns warn), not a reason to drop the mount.
    await Promise.all(
      mounts.map((m) =>
        this.stat(m, signal).then(
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
    reading.samples.sort((a, b) => a.mountpoint.localeCompare(b.mountpoint));
    return reading;
  }

  private async stat(m: MountEntry, signal: AbortSignal): Promise<FilesystemSample | undefined> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const s = await Promise.race([
      statfs(this.rootfs === '/' ? m.mountpoint : `${this.rootfs}${m.mountpoint}`),
      aborted,
    ]).finally(() => signal.removeEventListener('abort', onAbort!));
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
}
