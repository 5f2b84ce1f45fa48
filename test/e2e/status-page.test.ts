import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_WORD } from '../../src/shared/status.js';
import { runCli, writeConfig } from '../support/cli.js';
import { launchChromium, OUT } from '../support/browser.js';
import { drawnPixels } from '../support/canvas.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startDaemon, makeToken, type Daemon } from '../support/http-daemon.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Raw GET: bytes as they crossed the wire (no transparent decompression). */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          bytes: Buffer.concat(chunks).length,
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Reads an SSE stream until `count` events arrived, then disconnects. */
function readEvents(
  url: string,
  count: number,
  headers: Record<string, string> = {},
): Promise<{ event: string; data: any }[]> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: any }[] = [];
    const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          if (events.length >= count) {
            req.destroy();
            resolve(events);
            return;
          }
        }
      });
    });
    req.on('error', (e) => (events.length >= count ? undefined : reject(e)));
    req.setTimeout(15_000, () => {
      req.destroy();
      reject(new Error(`only ${events.length} of ${count} events`));
    });
    req.end();
  });
}

/** Row statuses top to bottom. */
function rowStatuses(page: Page): Promise<string[]> {
  return page.locator('#checks tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status') ?? ''));
}
/** A check name longer than any column: cut with an ellipsis, whole in its title. */
const LONG = 'orders-replica-in-the-other-datacenter-behind-the-vpn';
const RANK: Record<string, number> = { fail: 0, warn: 1, pending: 2, pass: 3 };
const problemsFirst = (statuses: string[]) => statuses.every((s, i) => i === 0 || RANK[statuses[i - 1]!]! <= RANK[s]!);

describe('status page (real daemon, real Chromium)', () => {
  let proxy: FaultProxy;
  let daemon: Daemon;
  let browser: Browser;
  let config: string;

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    // cpu judged against 0 % (always failed) and memory against 1 % (always warning): the cards must say so.
    config = [
      'host:',
      '  interval: 1s',
      '  thresholds:',
      '    cpu: { warn: 0%, fail: 0%, for: 0s }',
      '    memory: { warn: 1%, fail: 100%, for: 0s }',
      'checks:',
      `  - { name: cache, kind: redis, url: "redis://127.0.0.1:${proxy.port}", every: 500ms, timeout: 1s, ` +
        `failureThreshold: 1, successThreshold: 1, critical: true }`,
      '  - { name: orders-db, kind: postgres, url: "postgres://postgres@127.0.0.1:5432/postgres", every: 2s }',
      '  - { name: pg-port, kind: tcp, host: 127.0.0.1, port: 5432, every: 2s }',
      `  - { name: ${LONG}, kind: tcp, host: 127.0.0.1, port: 5432, every: 5s }`,
    ].join('\n');
    daemon = await startDaemon({ config });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await proxy?.close();
  });

  it(
    'problems first, cards drawn in their status colour; a cut dependency turns its row and the incident list ' +
      'without a reload',
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
      let navigations = 0;
      page.on('framenavigated', (f) => (f === page.mainFrame() ? navigations++ : undefined));
      await page.goto(`${daemon.url}/`);
      for (const name of ['cache', 'orders-db', 'pg-port', 'cpu', 'memory', 'disk:/']) {
        await page.locator(`tr[data-check="${name}"]`).waitFor({ timeout: 15_000 });
      }
      await expect
        .poll(() => page.locator('tr[data-check="cache"] .word').textContent(), { timeout: 15_000 })
        .toBe(STATUS_WORD.pass);
      await expect.poll(() => page.locator('#connection').textContent()).toBe('live');

      // Problems first: cpu (failed) on top, memory (warning) next, then the rest.
      const before = await rowStatuses(page);
      expect(problemsFirst(before), before.join(',')).toBe(true);
      expect(await page.locator('#checks tbody tr').first().getAttribute('data-check')).toBe('cpu');
      expect(await page.locator('#checks tbody tr').nth(1).getAttribute('data-check')).toBe('memory');

      // Host cards: their colour is their check's status, and each draws its own chart (not the table's).
      const cpuCard = page.locator('#gauges [data-gauge="cpu"]');
      expect(await cpuCard.getAttribute('data-status')).toBe('fail');
      expect(await page.locator('#gauges [data-gauge="memory"]').getAttribute('data-status')).toBe('warn');
      const colour = (sel: string) =>
        page.locator(sel).evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).backgroundColor);
      expect(await colour('#gauges [data-gauge="cpu"] .bar > span')).toBe('rgb(207, 34, 46)');
      expect(await colour('#gauges [data-gauge="memory"] .bar > span')).toBe('rgb(154, 103, 0)');
      expect(await cpuCard.locator('.value').textContent()).toMatch(/%.*failed$/);
      for (const g of ['cpu', 'memory', 'disk:/']) {
        await expect
          .poll(() => drawnPixels(page, `#gauges [data-gauge="${g}"] .chart canvas`), { timeout: 15_000 })
          .toBeGreaterThan(50);
      }
      // The row's chart of the same name is a separate chart, also drawn.
      await expect
        .poll(() => drawnPixels(page, 'tr[data-check="cpu"] .spark canvas'), { timeout: 10_000 })
        .toBeGreaterThan(20);
      // A long-running check's uptime bar already has recorded half-hours.
      await expect
        .poll(() => page.locator('tr[data-check="cache"] .uptime span[data-s="0"]').count(), { timeout: 10_000 })
        .toBeGreaterThan(0);
      // A long name is cut inside its cell: its badges never run into the value beside it.
      const cell = await page.locator(`tr[data-check="${LONG}"] td.name`).boundingBox();
      const value = await page.locator(`tr[data-check="${LONG}"] td.value`).boundingBox();
      const badge = await page.locator(`tr[data-check="${LONG}"] .badge`).first().boundingBox();
      expect(cell!.x + cell!.width).toBeLessThanOrEqual(value!.x + 0.5);
      expect(badge!.x + badge!.width).toBeLessThanOrEqual(value!.x + 0.5);
      await page.screenshot({ path: join(OUT, 'status-page-1280-light.png') });

      // The cut closes Redis's open connection and refuses new ones. The first failed run may be the open
      // connection's end (closed, or reset by peer when the proxy closed it with bytes unread) or a refused
      // reconnect: each is a true cause of this fault, and the incident's cause is that first failed run's.
      const CUT = /refused|not connected|closed|reset by peer/;
      await proxy.refuse();
      const row = page.locator('tr[data-check="cache"]');
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('fail');
      expect(await row.locator('.word').textContent()).toBe(STATUS_WORD.fail);
      expect(await row.locator('.icon').textContent()).toBe('✖');
      expect(await row.locator('td.detail').textContent()).toMatch(CUT);
      // A failing dependency goes to the top (dependencies before host checks within a status).
      await expect
        .poll(() => page.locator('#checks tbody tr').first().getAttribute('data-check'), { timeout: 5_000 })
        .toBe('cache');
      expect(problemsFirst(await rowStatuses(page))).toBe(true);
      expect(await colour('tr[data-check="cache"] .uptime span:last-child')).toBe('rgb(207, 34, 46)');
      await expect
        .poll(() => page.locator('#events li[data-check="cache"]').count(), { timeout: 10_000 })
        .toBeGreaterThan(0);
      // The incident, in the analysis' words (the ones diagnose uses), with its start, no end yet and cause.
      const incident = page.locator('#incidents li[data-check="cache"]').first();
      await expect
        .poll(() => incident.locator('.sentence').textContent(), { timeout: 10_000 })
        .toMatch(/^cache failed since \d\d:\d\d:\d\d, /);
      expect(await incident.getAttribute('data-status')).toBe('fail');
      expect(await incident.locator('dd').nth(1).textContent()).toBe('ongoing');
      expect(await incident.locator('.cause').textContent()).toMatch(CUT);
      expect(navigations).toBe(1);
      await page.screenshot({ path: join(OUT, 'status-page-1280-light-incident.png'), fullPage: true });

      await proxy.restore();
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('pass');
      await expect
        .poll(() => incident.locator('.sentence').textContent(), { timeout: 10_000 })
        .toMatch(/^cache was failed \d\d:\d\d:\d\d–\d\d:\d\d:\d\d \(/);
      expect(await incident.getAttribute('data-status')).toBe('pass');
      expect(await incident.locator('dd').nth(1).locator('time').count()).toBe(1);
      expect(await incident.locator('dd').nth(2).textContent()).toMatch(/^(\d+ms|\d+\.\ds|\d+s|\d+m \d+s)$/);
      expect(navigations).toBe(1);
      expect(errors, errors.join('\n')).toEqual([]);
      await page.close();
    },
  );

  it('the detail API refuses an unknown range or check and reads names with slashes', async () => {
    expect((await rawGet(`${daemon.url}/api/status/checks/cpu?range=2y`)).status).toBe(400);
    expect((await rawGet(`${daemon.url}/api/status/checks/nope`)).status).toBe(404);
    const r = await rawGet(`${daemon.url}/api/status/checks/${encodeURIComponent('disk:/')}?range=7d`);
    expect(r.status).toBe(200);
    const d = JSON.parse(r.body.toString('utf8'));
    expect(d).toMatchObject({ name: 'disk:/', range: '7d', unit: 'ratio', thresholds: { warn: 0.85, fail: 0.95 } });
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`at 360 px (${colorScheme}) the failing check is above the fold, nothing scrolls sideways`, async () => {
      const page = await browser.newPage({ viewport: { width: 360, height: 640 }, colorScheme, isMobile: true });
      await page.goto(`${daemon.url}/status`);
      await page.locator('tr[data-check="orders-db"]').waitFor();
      const failing = page.locator('#checks tbody tr[data-status="fail"]').first();
      await failing.waitFor();
      const box = (await failing.boundingBox())!;
      expect(box.y + box.height).toBeLessThanOrEqual(640);
      expect(await failing.locator('.word').textContent()).toBe(STATUS_WORD.fail);
      // Words that must not wrap stay on one line: the status word and the relative time.
      for (const sel of ['td.status', 'td.since']) {
        const h = await failing.locator(sel).evaluate((e) => e.getBoundingClientRect().height);
        const line = await failing
          .locator(sel)
          .evaluate((e) => parseFloat(e.ownerDocument.defaultView!.getComputedStyle(e).lineHeight) || 22);
        expect(h, sel).toBeLessThan(line * 1.6);
      }
      const long = page.locator(`tr[data-check="${LONG}"] button.open`);
      expect(await long.getAttribute('title')).toContain(LONG);
      expect(await long.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
      expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe(
        colorScheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)',
      );
      await page.screenshot({ path: join(OUT, `status-page-360-${colorScheme}.png`), fullPage: true });
      await page.close();
    });
  }

  it('1280 px in dark mode', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    await page.goto(`${daemon.url}/`);
    await expect
      .poll(() => drawnPixels(page, '#gauges [data-gauge="cpu"] .chart canvas'), { timeout: 15_000 })
      .toBeGreaterThan(50);
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)');
    await page.screenshot({ path: join(OUT, 'status-page-1280-dark.png') });
    await page.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`axe-core finds no serious accessibility violation (${colorScheme}, page and detail view)`, async () => {
      // axe is injected as a script; the page's CSP (rightly) refuses that, so this page alone bypasses it.
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme, bypassCSP: true });
      await page.goto(`${daemon.url}/`);
      await page.locator('tr[data-check="cache"]').waitFor();
      await expect.poll(() => page.locator('#connection').textContent()).toBe('live');
      await page.addScriptTag({ path: AXE });
      const scan = async () => {
        const r = (await page.evaluate(
          `axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] })`,
        )) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
        return r.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      };
      expect(await scan()).toEqual([]);
      await page.locator('tr[data-check="cpu"] button.open').click();
      await expect
        .poll(() => page.locator('#detail-thresholds').textContent(), { timeout: 10_000 })
        .toMatch(/^warning at/);
      expect(await scan()).toEqual([]);
      await page.close();
    });
  }

  it("the detail view draws a check's history with its thresholds as lines, and lists its events", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${daemon.url}/`);
    await page.locator('tr[data-check="cpu"] button.open').click();
    const dialog = page.locator('#detail');
    await dialog.waitFor({ state: 'visible' });
    expect(await page.locator('#detail-title').textContent()).toBe('cpu');
    await expect
      .poll(() => page.locator('#detail-thresholds').textContent(), { timeout: 10_000 })
      .toBe('warning at 0.0%, failed at 0.0%');
    // A fresh daemon's hour is read at one-minute resolution: two points need the second minute.
    await expect
      .poll(() => page.locator('#detail-chart').getAttribute('data-points'), { timeout: 90_000, interval: 2_000 })
      .toMatch(/^([2-9]|\d\d+)$/);
    // uPlot's legend names the series: the value, and the two threshold lines.
    await expect
      .poll(() => page.locator('#detail-chart .u-legend .u-series th').allTextContents(), { timeout: 15_000 })
      .toEqual(expect.arrayContaining(['value', 'warning', 'failed']));
    await expect.poll(() => drawnPixels(page, '#detail-chart canvas'), { timeout: 10_000 }).toBeGreaterThan(100);
    await page.click('#detail [data-range="24h"]');
    await expect.poll(() => page.locator('#detail [data-range="24h"]').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // Focus goes back to the row that opened it.
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('cpu');

    // The cut dependency's detail: its events (from the first test's cut), no thresholds.
    await page.locator('tr[data-check="cache"] button.open').click();
    await expect
      .poll(() => page.locator('#detail-events li').allTextContents(), { timeout: 10_000 })
      .toEqual(
        expect.arrayContaining([
          expect.stringMatching(/cache: pass → fail/),
          expect.stringMatching(/cache: fail → pass/),
        ]),
      );
    expect(await page.locator('#detail-thresholds').textContent()).toMatch(/no thresholds/);
    await page.screenshot({ path: join(OUT, 'status-page-detail.png') });
    await page.close();
  }, 120_000);

  it('agrees with `vitals check`: same statuses, same words', async () => {
    const page = await browser.newPage();
    await page.goto(`${daemon.url}/`);
    await page.locator('tr[data-check="orders-db"] .word').waitFor();
    const cli = await runCli(['check', '--json', '--config', writeConfig(config)]);
    const checks = JSON.parse(cli.stdout).checks as { name: string; status: 'pass' | 'warn' | 'fail' }[];
    for (const c of checks.filter((x) => ['orders-db', 'pg-port', 'cpu', 'disk:/'].includes(x.name))) {
      await expect
        .poll(() => page.locator(`tr[data-check="${c.name}"] .word`).textContent(), { timeout: 10_000 })
        .toBe(STATUS_WORD[c.status]);
    }
    await page.close();
  });

  it('sends a strict Content-Security-Policy and no inline script', async () => {
    const r = await rawGet(`${daemon.url}/`);
    expect(r.status).toBe(200);
    expect(String(r.headers['content-security-policy'])).toMatch(/default-src 'none'.*script-src 'self'/);
    const html = r.body.toString('utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=|style=/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('transfers under 150 KiB gzipped in all', async () => {
    const html = await rawGet(`${daemon.url}/`, { 'accept-encoding': 'gzip' });
    const index = (await rawGet(`${daemon.url}/`)).body.toString('utf8');
    const assets = [...index.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBe(6);
    let total = html.bytes;
    for (const a of assets) {
      const r = await rawGet(`${daemon.url}${a}`, { 'accept-encoding': 'gzip' });
      expect(r.status, a).toBe(200);
      expect(r.headers['content-encoding'], a).toBe('gzip');
      total += r.bytes;
    }
    const first = await readEvents(`${daemon.url}/events`, 1);
    total += Buffer.byteLength(JSON.stringify(first[0]!.data));
    expect(total).toBeLessThan(150 * 1024);
  });

  it('an SSE client that reconnects gets a fresh full snapshot first', async () => {
    const a = await readEvents(`${daemon.url}/events`, 2);
    expect(a[0]!.event).toBe('snapshot');
    expect(a[1]!.event).toBe('delta');
    const b = await readEvents(`${daemon.url}/events`, 1);
    expect(b[0]!.event).toBe('snapshot');
    expect(b[0]!.data.view.checks.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['cache', 'orders-db', 'pg-port', 'cpu']),
    );
    expect(b[0]!.data.uptime.cache).toHaveLength(48);
  });
});

describe('status page behind authentication', () => {
  it('a wrong token is refused with a message; the right one connects', async () => {
    const { token, sha256 } = makeToken();
    const daemon = await startDaemon({
      config: `http:\n  auth:\n    tokens:\n      - { subject: viewer, sha256: ${sha256}, scopes: [vitals:read] }\n`,
    });
    // Launched inside the try: when Chromium cannot start, the daemon is still stopped.
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      expect((await rawGet(`${daemon.url}/`)).status).toBe(200);
      expect((await rawGet(`${daemon.url}/events`)).status).toBe(401);
      const page = await browser.newPage();
      await page.goto(`${daemon.url}/`);
      await page.locator('#login').waitFor({ state: 'visible' });
      // No token yet: the form asks, without an error.
      expect(await page.locator('#login-error').isHidden()).toBe(true);
      await page.fill('#token', 'not-the-token');
      await page.click('#login button');
      await page.locator('#login-error').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.locator('#login-error').textContent()).toMatch(/not accepted: it is wrong or has expired/);
      expect(await page.locator('#login-error').getAttribute('role')).toBe('alert');
      await page.screenshot({ path: join(OUT, 'status-page-wrong-token.png') });
      await page.fill('#token', token);
      await page.click('#login button');
      await page.locator('tr[data-check="cpu"]').waitFor({ timeout: 15_000 });
      expect(await page.locator('#login').isHidden()).toBe(true);
      expect(await page.locator('#login-error').isHidden()).toBe(true);
    } finally {
      await browser?.close();
      await daemon.stop();
    }
  });
});
