import { readFile } from 'node:fs/promises';

/** Reads a file under a procfs root (`/proc`, or the node's `/host/proc` from inside a container). */
export async function readProc(root: string, path: string, signal?: AbortSignal): Promise<string> {
  return readFile(`${root}/${path}`, { encoding: 'utf8', signal });
}

/** `/proc/meminfo`-style "Key:   123 kB" lines to a map of numbers (kB converted to bytes). */
export function parseKeyValueKb(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]) * (line.endsWith('kB') ? 1024 : 1));
  }
  return out;
}

/** Mount paths escape space, tab, newline and backslash as octal (`\040`). */
export function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
