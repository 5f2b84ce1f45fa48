import { readFile } from 'node:fs/promises';

/** Reads a file under a procfs root (`/proc`, or the node's `/host/proc` from inside a container). */
export async function readProc(root: string, path: string, signal?: AbortSignal): Promise<string> {
  return readFile(`${root}/${path}`, { encoding: 'utf8', signal });
}

/** Mount paths escape space, tab, newline and backslash as octal (`\040`). */
export function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
