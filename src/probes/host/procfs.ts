import { close, open, openSync, read, readFileSync, readSync } from 'node:fs';

/**
 * Reads a file under a procfs root (`/proc`, or the node's `/host/proc` from inside a container): open, one read
 * at offset 0, close. readFile makes five trips through the thread pool (it stats, then reads procfs's "size 0"
 * files in fresh 64 KiB chunks until one comes back empty): a process table of a few hundred pids read twice
 * made ~25 MiB of garbage and several full GCs.
 */
export function readProc(root: string, path: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    // The callback API: no FileHandle object and no promise per step, for a process table of a few hundred files.
    open(`${root}/${path}`, 'r', (err, fd) => {
      if (err) return reject(err);
      // Under 4 KiB, allocUnsafe slices Node's shared pool: /proc/<pid>/stat and status fit (~0.3 and ~1.5 KiB).
      readWhole(fd, Buffer.allocUnsafe(4095), signal, (e, text) => close(fd, () => (e ? reject(e) : resolve(text!))));
    });
  });
}

/**
 * One read of a whole procfs file through `fd` from offset 0. A read that fills `buffer` may have more behind it,
 * so the whole file is read again into one twice as large (the kernel generates a seq_file afresh at offset 0):
 * the text always comes from a single read. Calls back with the text and the buffer it fit in.
 */
function readWhole(
  fd: number,
  buffer: Buffer,
  signal: AbortSignal | undefined,
  done: (e: unknown, text?: string, buffer?: Buffer) => void,
): void {
  read(fd, buffer, 0, buffer.length, 0, (e, bytesRead) => {
    if (e) return done(e);
    if (signal?.aborted) return done(signal.reason);
    if (bytesRead < buffer.length) return done(undefined, buffer.toString('utf8', 0, bytesRead), buffer);
    readWhole(fd, Buffer.allocUnsafe(buffer.length * 2), signal, done);
  });
}

/**
 * `[mount point, filesystem type]` of every mount in this process's namespace, from /proc/self/mountinfo
 * (fields: id, parent, dev, root, mount point, options, optional fields, `-`, type, source, super options).
 */
export function parseMountinfo(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash > 5 && fields[dash + 1]) out.push([unescapeMountPath(fields[4]!), fields[dash + 1]!]);
  }
  return out;
}

let mountTable: Array<[string, string]> | undefined;

/**
 * Whether `path` is served by the kernel's own procfs: the deepest mount covering it has type `proc`. lxcfs
 * mounts FUSE files over /proc/meminfo, /proc/stat and others in containers, and a FUSE read can hang; so can a
 * path on any other filesystem. Unknown (no mount table) is false.
 */
export function onKernelProcfs(path: string, table = kernelMounts()): boolean {
  let best = '';
  let type: string | undefined;
  for (const [mountPoint, fsType] of table) {
    const covers = mountPoint === '/' || path === mountPoint || path.startsWith(`${mountPoint}/`);
    // The last of equal mount points is the one on top.
    if (covers && mountPoint.length >= best.length) {
      best = mountPoint;
      type = fsType;
    }
  }
  return type === 'proc';
}

function kernelMounts(): Array<[string, string]> {
  if (!mountTable) {
    try {
      mountTable = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    } catch {
      mountTable = [];
    }
  }
  return mountTable;
}

/**
 * A procfs file read on every tick: kept open and read again from offset 0, one read through a buffer kept
 * for the next time. readFile opens, stats, reads twice (procfs files report size 0) and closes, each a trip
 * through the thread pool, with a fresh 64 KiB buffer: ~200 µs of CPU per file against ~50 µs here.
 * On the kernel's procfs the read is made in place (`direct`): the kernel generates these files from memory
 * without waiting on I/O, and a trip through the thread pool wakes a worker and then the loop, which on an
 * idle daemon cost more than the read. Anywhere else (lxcfs's FUSE files in a container, a copy on disk) it
 * stays on the thread pool: a FUSE read can hang, and the collector's timeout must still hold then.
 */
export class ProcFile {
  /** A descriptor, not a FileHandle: its callbacks cost less per read than a FileHandle's promise machinery. */
  private fd: number | undefined;
  private buffer: Buffer | undefined;
  /** The read under way: a refresh overlapping a scheduled run shares it rather than racing it for the buffer. */
  private inflight: Promise<string> | undefined;
  /** @param direct read in place rather than on the thread pool: the file is on the kernel's own procfs */
  constructor(
    readonly path: string,
    private readonly initialBytes = 4096,
    readonly direct = onKernelProcfs(path),
  ) {}

  read(signal?: AbortSignal): Promise<string> {
    if (this.direct) return this.readInPlace(signal);
    if (this.inflight) return this.inflight;
    const read = this.readOnce(signal).finally(() => {
      if (this.inflight === read) this.inflight = undefined;
    });
    this.inflight = read;
    return read;
  }

  private readOnce(signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const readFrom0 = (fd: number) => {
        this.buffer ??= Buffer.allocUnsafe(this.initialBytes);
        readWhole(fd, this.buffer, signal, (e, text, buffer) => {
          if (e) {
            // Opened again on the next run rather than read through a descriptor in an unknown state.
            this.closeFd();
            return reject(e);
          }
          this.buffer = buffer;
          resolve(text!);
        });
      };
      if (this.fd !== undefined) return readFrom0(this.fd);
      open(this.path, 'r', (e, fd) => {
        if (e) return reject(e);
        this.fd = fd;
        readFrom0(fd);
      });
    });
  }

  private readInPlace(signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    try {
      this.fd ??= openSync(this.path, 'r');
      this.buffer ??= Buffer.allocUnsafe(this.initialBytes);
      let buffer = this.buffer;
      // As readWhole: a read that fills the buffer may have more behind it, so the file is read again whole.
      for (;;) {
        const bytesRead = readSync(this.fd, buffer, 0, buffer.length, 0);
        if (bytesRead < buffer.length) {
          this.buffer = buffer;
          return Promise.resolve(buffer.toString('utf8', 0, bytesRead));
        }
        buffer = Buffer.allocUnsafe(buffer.length * 2);
      }
    } catch (e) {
      this.closeFd();
      return Promise.reject(e);
    }
  }

  /** Closes once no read is under way: a descriptor closed under a read could be reused by another file. */
  async close(): Promise<void> {
    await this.inflight?.catch(() => {});
    this.closeFd();
  }

  private closeFd(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) close(fd, () => {});
  }
}

/** /proc/meminfo's fields, in bytes (the file says kB, meaning KiB). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out.set(line.slice(0, colon), parseInt(line.slice(colon + 1), 10) * 1024);
  }
  return out;
}

/** Mount paths escape space, tab, newline and backslash as octal (`\040`). */
export function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Orders names read from procfs (mountpoints, interfaces) by their code units. localeCompare would load ICU's
 * collation data into the process on a host tick's first sort: 2 MiB of resident memory for names that are
 * nearly always ASCII, where the two orders agree but for case and a few punctuation marks.
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
