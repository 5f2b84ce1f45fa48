import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appHostPage } from '../support/app-host.js';
import { launchChromium, OUT } from '../support/browser.js';
import { drawnPixels } from '../support/canvas.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startDaemon, type Daemon } from '../support/http-daemon.js';

const URI = 'ui://vitals/status';
const MIME = 'text/html;profile=mcp-app';

async function connect(url: string, apps: boolean): Promise<Client> {
  const client = new Client(
    { name: apps ? 'apps-host' : 'plain-client', version: '1.0.0' },
    { capabilities: apps ? { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: [MIME] } } } : {} },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return client;
}

describe('status view as an MCP App (real daemon, real MCP client, ext-apps bridge in Chromium)', () => {
  let proxy: FaultProxy;
  let daemon: Daemon;
  let browser: Browser;

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    daemon = await startDaemon({
      config: [
        'host: { interval: 1s }',
        'checks:',
        `  - { name: cache, kind: redis, url: "redis://127.0.0.1:${proxy.port}", every: 500ms, timeout: 1s, ` +
          `failureThreshold: 1, successThreshold: 1 }`,
        '  - { name: pg-port, kind: tcp, host: 127.0.0.1, port: 5432, every: 2s }',
      ].join('\n'),
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await proxy?.close();
  });

  it("a client without MCP Apps sees neither the app nor the link, and gets the tool's text", async () => {
    const client = await connect(daemon.url, false);
    try {
      const tool = (await client.listTools()).tools.find((t) => t.name === 'show_status')!;
      expect(tool).toBeDefined();
      expect(tool._meta?.ui).toBeUndefined();
      expect((await client.listResources()).resources.map((r) => r.uri)).not.toContain(URI);
      await expect(client.readResource({ uri: URI })).rejects.toThrow();
      const r = (await client.callTool({ name: 'show_status', arguments: {} })) as CallToolResult;
      expect(r.isError).toBeFalsy();
      expect((r.content[0] as { text: string }).text).toMatch(
        / is (ok|warning|failed) \((pass|warn|fail)\): .* of \d+ checks/,
      );
      // Bounds: an unknown check and an over-long wait are client errors, not crashes.
      const unknown = (await client.callTool({ name: 'show_status', arguments: { check: 'nope' } })) as CallToolResult;
      expect(unknown.isError).toBe(true);
      expect((unknown.content[0] as { text: string }).text).toMatch(/unknown check: nope/);
      const tooLong = (await client.callTool({
        name: 'show_status',
        arguments: { waitSeconds: 31 },
      })) as CallToolResult;
      expect(tooLong.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it(
    'a client announcing MCP Apps gets the ui:// resource, linked from show_status, built with no ' + 'outside fetch',
    async () => {
      const client = await connect(daemon.url, true);
      try {
        const tool = (await client.listTools()).tools.find((t) => t.name === 'show_status')!;
        expect(tool._meta).toMatchObject({ ui: { resourceUri: URI }, 'ui/resourceUri': URI });
        expect((await client.listResources()).resources).toEqual(
          expect.arrayContaining([expect.objectContaining({ uri: URI, mimeType: MIME })]),
        );
        const read = await client.readResource({ uri: URI });
        const html = (read.contents[0] as { text: string; mimeType: string }).text;
        expect(read.contents[0]!.mimeType).toBe(MIME);
        // One self-contained document: no external script, style or image.
        expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/);
        expect(html).toContain('id="checks"');
        expect(html).not.toContain('id="login"');
        expect(gzipSync(html).length).toBeLessThan(150 * 1024);
      } finally {
        await client.close();
      }
    },
  );

  it('inside a host page it renders the checks, calls show_status through the bridge, and follows a status ' +
    'change', async () => {
    const client = await connect(daemon.url, true);
    const calls: { name: string; arguments?: Record<string, unknown> }[] = [];
    const page = await browser.newPage({ viewport: { width: 1150, height: 1050 }, colorScheme: 'light' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.exposeFunction(
        'hostCallTool',
        async (params: { name: string; arguments?: Record<string, unknown> }) => {
          calls.push(params);
          return client.callTool(params);
        },
      );
      await page.setContent(await appHostPage());
      const html = ((await client.readResource({ uri: URI })).contents[0] as { text: string }).text;
      const first = await client.callTool({ name: 'show_status', arguments: {} });
      // The host's theme (dark here, on a page whose own preference is light) is the app's.
      expect(await page.evaluate(([h, r]) => (globalThis as any).startHost(h, r, 'dark'), [html, first] as const)).toBe(
        'ready',
      );

      const app = page.frameLocator('iframe');
      for (const name of ['cache', 'pg-port', 'cpu', 'memory'])
        await app.locator(`tr[data-check="${name}"]`).waitFor({ timeout: 15_000 });
      await expect
        .poll(() => app.locator('tr[data-check="cache"]').getAttribute('data-status'), { timeout: 15_000 })
        .toBe('pass');
      const background = () =>
        app.locator('body').evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).backgroundColor);
      expect(await background()).toBe('rgb(13, 17, 23)');
      await page.evaluate(`setHostTheme('light')`);
      await expect.poll(background).toBe('rgb(255, 255, 255)');
      // The app reads through the bridge (no HTTP of its own): show_status calls made by the app itself.
      await expect
        .poll(() => calls.filter((c) => c.name === 'show_status').length, { timeout: 10_000 })
        .toBeGreaterThan(0);

      // Each update arrives as a whole payload; the charts keep their points across them and draw.
      const frame = page.frames().find((f) => f !== page.mainFrame())!;
      await expect
        .poll(() => drawnPixels(frame, '#gauges [data-gauge="cpu"] .chart canvas'), { timeout: 20_000 })
        .toBeGreaterThan(50);

      // The detail view, through the same tool.
      await app.locator('tr[data-check="cpu"] button.open').click();
      await expect
        .poll(() => app.locator('#detail-thresholds').textContent(), { timeout: 10_000 })
        .toMatch(/^warning at 85%, failed at 95%/);
      expect(calls).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'show_status', arguments: { check: 'cpu', range: '1h' } }),
        ]),
      );
      await app.locator('#detail-close').click();

      await proxy.refuse();
      await expect
        .poll(() => app.locator('tr[data-check="cache"]').getAttribute('data-status'), { timeout: 20_000 })
        .toBe('fail');
      await expect.poll(() => app.locator('#checks tbody tr').first().getAttribute('data-check')).toBe('cache');
      await expect
        .poll(() => app.locator('#incidents li[data-check="cache"]').count(), { timeout: 10_000 })
        .toBeGreaterThan(0);
      await page.screenshot({ path: join(OUT, 'status-app-in-host.png') });
      await proxy.restore();
      await expect
        .poll(() => app.locator('tr[data-check="cache"]').getAttribute('data-status'), { timeout: 20_000 })
        .toBe('pass');
      expect(errors, errors.join('\n')).toEqual([]);
    } finally {
      await page.close();
      await client.close();
    }
  }, 90_000);
});
