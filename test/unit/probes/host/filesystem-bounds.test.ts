import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/load.js';
import { hostCollectors } from '../../../../src/probes/registry.js';
import {
  capMounts,
  FilesystemCollector,
  parseMounts,
  selectMounts,
  type MountEntry,
} from '../../../../src/probes/host/filesystem.js';

const defaults = parseConfig({}, {}).host.filesystems;

describe('container runtimes on the host', () => {
  // Lines as /proc/self/mounts shows them on a host running Docker, containerd and the kubelet.
  const table = [
    '/dev/vda / ext4 rw,relatime 0 0',
    '/dev/vdb /data xfs rw 0 0',
    // A container's root outside the default data root (dockerd --data-root elsewhere): only its type gives it away.
    'overlay /tmp/docker-xyz/overlay2/0f3c2b5e9f1d4a7c8b6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a/merged ' +
      'overlay rw,lowerdir=/a,upperdir=/b 0 0',
    'overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0',
    'nsfs /run/docker/netns/1a2b nsfs rw 0 0',
    'nsfs /run/netns/cni-1 nsfs rw 0 0',
    'tracefs /sys/kernel/tracing tracefs rw 0 0',
    'shm /var/lib/docker/containers/abc/mounts/shm tmpfs rw 0 0',
    '/dev/vda /var/lib/docker/containers/abc/hostname ext4 rw 0 0',
    '/dev/vdc /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs ext4 rw 0 0',
    'overlay /run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs overlay rw 0 0',
    '/dev/vdd /var/lib/kubelet/pods/5e1f/volumes/kubernetes.io~csi/pvc-1/mount ext4 rw 0 0',
    'overlay /srv/podman/merged overlay rw 0 0',
    'aufs /var/lib/aufs/mnt/x aufs rw 0 0',
  ].join('\n');

  it('by default keeps only the host filesystems: overlay, nsfs, tracefs and runtime paths are excluded', () => {
    const kept = selectMounts(parseMounts(table), defaults).map((m) => m.mountpoint);
    expect(kept).toEqual(['/', '/data']);
  });

  it('the defaults name the pseudo types node_exporter excludes', () => {
    for (const t of ['overlay', 'nsfs', 'tracefs', 'cgroup2', 'proc', 'sysfs', 'bpf', 'squashfs', 'erofs', 'autofs'])
      expect(defaults.excludeTypes).toContain(t);
    expect(defaults.maxMounts).toBe(64);
  });
});

describe('the cap on watched filesystems', () => {
  const mount = (mountpoint: string, i: number): MountEntry => ({
    device: `/dev/vd${i}`,
    mountpoint,
    type: 'ext4',
    readOnly: false,
  });

  it('keeps the shallowest mountpoints and names the dropped ones', () => {
    const mounts = ['/srv/a/b/c', '/', '/home', '/srv/a', '/srv/a/b', '/boot'].map(mount);
    const { kept, dropped } = capMounts(mounts, 4);
    expect(kept.map((m) => m.mountpoint)).toEqual(['/', '/boot', '/home', '/srv/a']);
    expect(dropped.map((m) => m.mountpoint)).toEqual(['/srv/a/b', '/srv/a/b/c']);
    expect(capMounts(mounts, 6).dropped).toEqual([]);
  });

  it('the collector watches at most maxMounts and warns once per change of what it drops', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vitals-cap-'));
    const proc = join(root, 'proc');
    mkdirSync(join(proc, '1'), { recursive: true });
    for (let i = 0; i < 5; i++) mkdirSync(join(root, `m${i}`));
    const write = (n: number) =>
      writeFileSync(
        join(proc, '1/mounts'),
        ['/dev/vdz / ext4 rw 0 0', ...Array.from({ length: n }, (_, i) => `/dev/vd${i} /m${i} ext4 rw 0 0`)].join('\n'),
      );
    const warnings: string[][] = [];
    const fs = new FilesystemCollector({
      ...defaults,
      maxMounts: 3,
      procfs: proc,
      rootfs: root,
      onDropped: (d) => warnings.push(d.map((m) => m.mountpoint)),
    });
    const signal = new AbortController().signal;

    write(5);
    expect((await fs.run(signal)).samples.map((s) => s.mountpoint)).toEqual(['/', '/m0', '/m1']);
    await fs.run(signal);
    expect(warnings).toEqual([['/m2', '/m3', '/m4']]);

    write(3);
    expect((await fs.run(signal)).samples.map((s) => s.mountpoint)).toEqual(['/', '/m0', '/m1']);
    expect(warnings).toEqual([['/m2', '/m3', '/m4'], ['/m2']]);

    write(2);
    await fs.run(signal);
    // Under the cap again: nothing to warn about.
    expect(warnings).toHaveLength(2);
  });

  it('the registered collector warns through its owner, naming the limit and the dropped mountpoints', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vitals-cap-'));
    const proc = join(root, 'proc');
    mkdirSync(join(proc, '1'), { recursive: true });
    mkdirSync(join(root, 'extra'));
    writeFileSync(join(proc, '1/mounts'), '/dev/vdz / ext4 rw 0 0\n/dev/vdy /extra ext4 rw 0 0\n');
    const host = parseConfig({ host: { procfs: proc, rootfs: root, filesystems: { maxMounts: 1 } } }, {}).host;
    const logged: { fields: Record<string, unknown>; message: string }[] = [];
    const c = hostCollectors.filesystem.create(host, { warn: (fields, message) => logged.push({ fields, message }) });
    await c.run(new AbortController().signal);
    expect(logged).toEqual([
      {
        fields: { maxMounts: 1, dropped: 1, mountpoints: ['/extra'] },
        message: expect.stringMatching(/at most \(host\.filesystems\.maxMounts\).*1 more: \/extra$/),
      },
    ]);
  });

  it('is bounded in the config', () => {
    expect(() => parseConfig({ host: { filesystems: { maxMounts: 0 } } }, {})).toThrow(/maxMounts/);
    expect(() => parseConfig({ host: { filesystems: { maxMounts: 5000 } } }, {})).toThrow(/maxMounts/);
  });
});
