import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collector as memory, memorySample } from '../../../../src/probes/host/memory.js';
import { byCodeUnits, ProcFile, parseMeminfo, readProc } from '../../../../src/probes/host/procfs.js';

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
