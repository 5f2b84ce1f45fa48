import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXCLUDED_FS_TYPES, DEFAULT_EXCLUDED_MOUNTS } from '../../../../src/config/schema.js';
import { CpuCollector } from '../../../../src/probes/host/cpu.js';
import { FilesystemCollector, inPlaceMounts, parseMounts } from '../../../../src/probes/host/filesystem.js';

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

/**
 * An abort that comes once a run's statfs calls are under way (the run listens for it just before it makes them,
 * and the thread pool's answers come in a later turn of the loop than this immediate).
 */
function abortOnceListening(): AbortController {
  const mid = new AbortController();
  const listen = mid.signal.addEventListener.bind(mid.signal);
  mid.signal.addEventListener = (...args: Parameters<typeof listen>) => {
    listen(...args);
    setImmediate(() => mid.abort(new Error('timed out')));
  };
  return mid;
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
    // The in-place read has its answer already; the network mount's call on the thread pool loses the race.
    const mid = abortOnceListening();
    const run = fs.run(mid.signal);
    const { samples, errors } = await run;
    expect(samples.map((s) => s.mountpoint)).toEqual(['/']);
    expect(errors).toEqual([{ mountpoint: '/nfs', device: 'srv:/export', type: 'nfs4', error: 'statfs timed out' }]);
  });

  it('reads in place only a local filesystem whose path crosses nothing but local ones', () => {
    const all = parseMounts(
      [
        '/dev/vda / ext4 rw 0 0',
        'proc /proc proc rw 0 0',
        '/dev/vdb /data xfs rw 0 0',
        'srv:/export /mnt/nfs nfs4 rw 0 0',
        '/dev/vdc /mnt/nfs/disk ext4 rw 0 0',
        '/dev/vdd /stacked ext4 rw 0 0',
        'srv:/other /stacked nfs4 rw 0 0',
        'systemd-1 /auto autofs rw 0 0',
        '/dev/vde /auto/disk ext4 rw 0 0',
        'sshfs#me@srv: /fuse fuse.sshfs rw 0 0',
      ].join('\n'),
    );
    expect([...inPlaceMounts(all, all)].sort()).toEqual(['/', '/data']);
  });

  it('keeps a local filesystem under a network mount abortable', async () => {
    const fs = nodeWith('/dev/vdz / ext4 rw 0 0\nsrv:/export /nfs nfs4 rw 0 0\n/dev/vdc /nfs/disk ext4 rw 0 0\n', [
      'nfs',
      'nfs/disk',
    ]);
    const mid = abortOnceListening();
    const { samples, errors } = await fs.run(mid.signal);
    expect(samples.map((s) => s.mountpoint)).toEqual(['/']);
    expect(errors.map((e) => [e.mountpoint, e.error])).toEqual([
      ['/nfs', 'statfs timed out'],
      ['/nfs/disk', 'statfs timed out'],
    ]);
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
