import { describe, expect, it } from 'vitest';
import { parseProcStat } from '../../../../src/probes/host/cpu.js';
import { parseMounts, selectMounts } from '../../../../src/probes/host/filesystem.js';
import { parseNetDev } from '../../../../src/probes/host/network.js';
import { DEFAULT_EXCLUDED_FS_TYPES, DEFAULT_EXCLUDED_MOUNTS } from '../../../../src/config/schema.js';

describe('host parsers', () => {
  it('parses /proc/stat cpu lines', () => {
    const t = parseProcStat(
      'cpu  10 1 5 80 4 0 0 0 0 0\ncpu0 5 1 2 40 2 0 0 0 0 0\ncpu1 5 0 3 40 2 0 0 0 0 0\nintr 1 2\n',
    );
    expect(t.total).toEqual([10, 1, 5, 80, 4, 0, 0, 0]);
    expect(t.perCore).toHaveLength(2);
  });
  it('parses /proc/net/dev', () => {
    const text =
      'Inter-|   Receive\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs ' +
      'drop fifo colls carrier compressed\n  eth0: 100 2 3 4 0 0 0 0 200 5 6 7 0 0 0 0\n';
    expect(parseNetDev(text).get('eth0')).toEqual({
      rxBytes: 100,
      rxPackets: 2,
      rxErrs: 3,
      rxDrop: 4,
      txBytes: 200,
      txPackets: 5,
      txErrs: 6,
      txDrop: 7,
    });
  });
  it('keeps real filesystems once each and skips pseudo ones', () => {
    const mounts = parseMounts(
      [
        'proc /proc proc rw 0 0',
        '/dev/vda / ext4 rw,relatime 0 0',
        '/dev/vda /srv/bind ext4 rw 0 0',
        'tmpfs /dev/shm tmpfs rw 0 0',
        '/dev/vdb /mnt/my\\040data xfs ro,relatime 0 0',
        'overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0',
      ].join('\n'),
    );
    const sel = selectMounts(mounts, {
      excludeTypes: DEFAULT_EXCLUDED_FS_TYPES,
      excludeMountpoints: DEFAULT_EXCLUDED_MOUNTS,
    });
    expect(sel.map((m) => [m.mountpoint, m.readOnly])).toEqual([
      ['/', false],
      ['/mnt/my data', true],
    ]);
  });
});
