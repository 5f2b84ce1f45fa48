import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collector as memory, memorySample } from '../../../../src/probes/host/memory.js';
import {
  byCodeUnits,
  ProcFile,
  onKernelProcfs,
  parseMeminfo,
  parseMountinfo,
  readProc,
} from '../../../../src/probes/host/procfs.js';

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'vitals-procfile-')), 'f');
  writeFileSync(path, text);
  return path;
};

describe('readProc (a file under a procfs root, read once)', () => {
  const under = (name: string, text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-readproc-'));
    writeFileSync(join(dir, name), text);
    return dir;
  };

  it('reads a small file, and files at and beyond its first buffer, whole', async () => {
    for (const text of ['', 'pid 1\n', 'x'.repeat(4095), 'y'.repeat(4096), 'abcdefghij'.repeat(3000)])
      expect(await readProc(under('f', text), 'f')).toBe(text);
  });

  it("reads the kernel's own files (procfs reports them as size 0)", async () => {
    expect(await readProc('/proc', 'self/status')).toMatch(/^VmRSS:\s+\d+ kB$/m);
  });

  it('fails on a missing file and on an aborted signal', async () => {
    const dir = under('f', 'x');
    await expect(readProc(dir, 'missing')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readProc(dir, 'f', AbortSignal.abort())).rejects.toThrow();
  });
});

describe('ProcFile (a procfs file kept open and read again)', () => {
  it('sees each new content, longer or shorter, through the handle it keeps', async () => {
    const path = file('one\n');
    const f = new ProcFile(path);
    expect(await f.read()).toBe('one\n');
    writeFileSync(path, 'two, longer than before\n');
    expect(await f.read()).toBe('two, longer than before\n');
    writeFileSync(path, 'x');
    expect(await f.read()).toBe('x');
    await f.close();
  });

  it('reads a file larger than its buffer whole', async () => {
    const text = 'abcdefghij'.repeat(1000);
    const f = new ProcFile(file(text), 64);
    expect(await f.read()).toBe(text);
    expect(await f.read()).toBe(text);
    await f.close();
  });

  it('overlapping reads share one read (one buffer, no torn text)', async () => {
    const text = 'x'.repeat(5000);
    const f = new ProcFile(file(text), 16);
    const [a, b] = await Promise.all([f.read(), f.read()]);
    expect(a).toBe(text);
    expect(b).toBe(text);
    await f.close();
  });

  it('a missing file fails each read, and is read once it exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-procfile-'));
    const f = new ProcFile(join(dir, 'later'));
    await expect(f.read()).rejects.toMatchObject({ code: 'ENOENT' });
    writeFileSync(join(dir, 'later'), 'here');
    expect(await f.read()).toBe('here');
    await f.close();
  });

  it('an aborted read fails', async () => {
    const f = new ProcFile(file('x'));
    await expect(f.read(AbortSignal.abort())).rejects.toThrow();
    await f.close();
  });

  it('orders names by code units', () => {
    expect(['/var', '/', '/boot/efi', '/boot'].sort(byCodeUnits)).toEqual(['/', '/boot', '/boot/efi', '/var']);
  });
});

describe('ProcFile read in place (direct), as on the kernel procfs', () => {
  it('sees each new content, reads past its buffer, fails on a missing file and on an aborted signal', async () => {
    const path = file('one\n');
    const f = new ProcFile(path, 8, true);
    expect(f.direct).toBe(true);
    expect(await f.read()).toBe('one\n');
    writeFileSync(path, 'two, longer than the buffer\n');
    expect(await f.read()).toBe('two, longer than the buffer\n');
    writeFileSync(path, 'x');
    expect(await f.read()).toBe('x');
    await expect(f.read(AbortSignal.abort())).rejects.toThrow();
    await f.close();
    const missing = new ProcFile(join(mkdtempSync(join(tmpdir(), 'vitals-procfile-')), 'none'), 4096, true);
    await expect(missing.read()).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("is how this host's /proc files are read, and not a file elsewhere", async () => {
    const stat = new ProcFile('/proc/stat');
    expect(stat.direct).toBe(true);
    expect(await stat.read()).toMatch(/^cpu /);
    await stat.close();
    expect(new ProcFile(file('x')).direct).toBe(false);
  });
});

// A container's mount table with lxcfs: FUSE files mounted over some of /proc's, and the node's procfs at /host/proc.
const MOUNTINFO = [
  '600 500 0:50 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l',
  '601 600 0:51 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
  '602 601 0:52 /proc/meminfo /proc/meminfo rw,nosuid,nodev,relatime master:2 - fuse.lxcfs lxcfs rw,user_id=0',
  '603 601 0:52 /proc/stat /proc/stat rw,nosuid,nodev,relatime master:2 - fuse.lxcfs lxcfs rw,user_id=0',
  '604 600 0:53 / /host/proc rw,relatime - proc proc rw',
  '605 600 0:54 / /data\\040dir rw,relatime shared:3 - ext4 /dev/sda1 rw',
  '',
].join('\n');

describe('onKernelProcfs (which files are safe to read in place)', () => {
  const table = parseMountinfo(MOUNTINFO);

  it('parses mount points (escapes undone) and types, optional fields or none', () => {
    expect(table).toEqual([
      ['/', 'overlay'],
      ['/proc', 'proc'],
      ['/proc/meminfo', 'fuse.lxcfs'],
      ['/proc/stat', 'fuse.lxcfs'],
      ['/host/proc', 'proc'],
      ['/data dir', 'ext4'],
    ]);
  });

  it("is true only where the deepest mount covering the path is the kernel's procfs", () => {
    expect(onKernelProcfs('/proc/net/dev', table)).toBe(true);
    expect(onKernelProcfs('/proc/pressure/cpu', table)).toBe(true);
    expect(onKernelProcfs('/host/proc/stat', table)).toBe(true);
    expect(onKernelProcfs('/proc/meminfo', table)).toBe(false);
    expect(onKernelProcfs('/proc/stat', table)).toBe(false);
    expect(onKernelProcfs('/procfs/stat', table)).toBe(false);
    expect(onKernelProcfs('/data dir/proc/stat', table)).toBe(false);
    expect(onKernelProcfs('/proc/stat', [])).toBe(false);
  });
});

const MEMINFO = `MemTotal:        8000000 kB
MemFree:         1000000 kB
MemAvailable:    5000000 kB
Buffers:          200000 kB
Cached:          2500000 kB
SwapCached:            0 kB
Slab:             300000 kB
SwapTotal:       2000000 kB
SwapFree:        1500000 kB
`;

describe('memory collector (/proc/meminfo)', () => {
  it("gives systeminformation mem()'s figures: used = total − available", () => {
    expect(memorySample(parseMeminfo(MEMINFO))).toEqual({
      totalBytes: 8000000 * 1024,
      availableBytes: 5000000 * 1024,
      usedBytes: 3000000 * 1024,
      freeBytes: 1000000 * 1024,
      buffersBytes: 200000 * 1024,
      cachedBytes: 2500000 * 1024,
      utilization: 3 / 8,
      swapTotalBytes: 2000000 * 1024,
      swapUsedBytes: 500000 * 1024,
      swapUtilization: 0.25,
    });
  });

  it('before MemAvailable (Linux < 3.14) counts free, buffers, cache and slab as available; no swap is null', () => {
    const old = MEMINFO.replace(/^MemAvailable.*\n/m, '').replace(/^Swap(Total|Free):.*$/gm, 'Swap$1: 0 kB');
    const s = memorySample(parseMeminfo(old));
    expect(s.availableBytes).toBe((1000000 + 200000 + 2500000 + 300000) * 1024);
    expect(s.swapUtilization).toBeNull();
    expect(s.swapUsedBytes).toBe(0);
  });

  it('reads meminfo under host.procfs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-proc-'));
    writeFileSync(join(dir, 'meminfo'), MEMINFO);
    const probe = memory.create({ procfs: dir, rootfs: '/' }, {}, { warn() {} });
    expect((await probe.run(new AbortController().signal)).utilization).toBe(3 / 8);
    await probe.close?.();
  });

  it('reads this host', async () => {
    const probe = memory.create({ procfs: '/proc', rootfs: '/' }, {}, { warn() {} });
    const s = await probe.run(new AbortController().signal);
    const total = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
    expect(s.totalBytes).toBe(total);
    expect(s.utilization).toBeGreaterThan(0);
    await probe.close?.();
  });
});
