import type { Frame, Page } from 'playwright-core';

/** Opaque pixels on the first canvas under `selector` (in a page or a frame): 0 when nothing was drawn there. */
export function drawnPixels(where: Page | Frame, selector: string): Promise<number> {
  return where.evaluate(`(() => {
    const c = document.querySelector(${JSON.stringify(selector)});
    if (!c) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  })()`) as Promise<number>;
}
