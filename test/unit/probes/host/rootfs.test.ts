import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXCLUDED_FS_TYPES, DEFAULT_EXCLUDED_MOUNTS } from '../../../../src/config/schema.js';
import { CpuCollector } from '../../../../src/probes/host/cpu.js';
import { FilesystemCollector } from '../../../../src/probes/host/filesystem.js';

/** A collector watching a fake node: `mounts` as PID 1's mount table, `dirs` made under its rootfs. */
function nodeWith(mounts: string, dirs: string[] = []): FilesystemCollector {
  const root = mkdtempSync(join(tmpdir(), 'vitals-root-'));
  const proc = join(root, 'proc');
  mkdirSync(join(proc, '1'), { recursive: true });
  for (const d of dirs) mkdirSync(join(root, d));
  writeFileSync(join(proc, '1/mounts'), mounts);
  return new FilesystemCollector({
    excludeTypes: DEFAULT_EXCLUDED_FS_TYPES,
    excludeMountpoints: DEFAULT_EXCLUDED_MOUNTS,
    procfs: proc,
    rootfs: root,
  });
}

describe('watching a node from a container (host.procfs, host.rootfs)', () => {
  it('reads PID 1 mounts under procfs and statfs under rootfs, reporting host mountpoints', async () => {
    const fs = nodeWith('/dev/vdz / ext4 rw 0 0\n/dev/vdy /data xfs ro 0 0\nproc /proc proc rw 0 0\n', ['data']);
    const { samples: out, errors } = await fs.run(new AbortController().signal);
    expect(errors).toEqual([]);
    expect(out.map((f) => [f.mountpoint, f.device, f.readOnly])).toEqual([
      ['/', '/dev/vdz', false],
      ['/data', '/dev/vdy', true],
    ]);
    expect(out[0]!.sizeBytes).toBeGreaterThan(0);
  });

  it('a mount whose statfs fails is reported as an error, not dropped', async () => {
    const fs = nodeWith('/dev/vdz / ext4 rw 0 0\n/dev/vdx /gone ext4 rw 0 0\n');
    const { samples, errors } = await fs.run(new AbortController().signal);
    expect(samples.map((s) => s.mountpoint)).toEqual(['/']);
    expect(errors).toEqual([
      { mountpoint: '/gone', device: '/dev/vdx', type: 'ext4', error: 'statfs failed (ENOENT)' },
    ]);
  });

  it('reads a local filesystem in place, and keeps a network one abortable (its server can hang)', async () => {
    const fs = nodeWith('/dev/vdz / ext4 rw 0 0\nsrv:/export /nfs nfs4 rw 0 0\n', ['nfs']);
    const live = await fs.run(new AbortController().signal);
    expect(live.samples.map((s) => s.mountpoint)).toEqual(['/', '/nfs']);
    // A run aborted once its statfs calls are under way (the run listens for the abort just before it makes them):
    // the in-place read has its answer already, the network mount's call on the thread pool loses the race.
    const mid = new AbortController();
    const listen = mid.signal.addEventListener.bind(mid.signal);
    mid.signal.addEventListener = (...args: Parameters<typeof listen>) => {
      listen(...args);
      setImmediate(() => mid.abort(new Error('timed out')));
    };
    const run = fs.run(mid.signal);
    const { samples, errors } = await run;
    expect(samples.map((s) => s.mountpoint)).toEqual(['/']);
    expect(errors).toEqual([{ mountpoint: '/nfs', device: 'srv:/export', type: 'nfs4', error: 'statfs timed out' }]);
  });

  it('computes CPU shares from a procfs other than /proc', async () => {
    const proc = mkdtempSync(join(tmpdir(), 'vitals-proc-'));
    writeFileSync(join(proc, 'stat'), 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\n');
    const cpu = new CpuCollector(proc);
    await cpu.prime();
    writeFileSync(join(proc, 'stat'), 'cpu  160 0 120 820 0 0 0 0 0 0\ncpu0 160 0 120 820 0 0 0 0 0 0\n');
    const s = await cpu.run(new AbortController().signal);
    expect(s.utilization).toBeCloseTo(0.8);
    expect(s.modes.user).toBeCloseTo(0.6);
    expect(s.secondsTotal.user).toBeCloseTo(1.6);
  });
});
