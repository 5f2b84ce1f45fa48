import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, by the durations recorded in durations.json (`node test/support/durations.mjs` after a
 * run refreshes it). With several workers the suite ends when its longest file does: started last, a 60 s file
 * would run alone at the end. Vitest's own cache orders the same way, but only on a machine that kept
 * node_modules/.vite from an earlier run; a fresh clone (CI) would fall back to file size.
 * Files not listed yet go first: a new file is as likely to be long as short.
 */
export class LongestFirstSequencer extends BaseSequencer {
  private readonly durations: Record<string, number> = JSON.parse(
    readFileSync(new URL('./durations.json', import.meta.url), 'utf8'),
  );

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const ms = (f: TestSpecification) =>
      this.durations[relative(root, f.moduleId).split('\\').join('/')] ?? Number.POSITIVE_INFINITY;
    return [...files].sort(
      (a, b) => a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder || ms(b) - ms(a),
    );
  }
}
