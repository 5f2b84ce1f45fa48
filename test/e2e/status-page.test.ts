import { request as httpRequest } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_WORD } from '../../src/monitor/summary.js';
import { runCli, writeConfig } from '../support/cli.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startDaemon, makeToken, type Daemon } from '../support/http-daemon.js';
import { ROOT } from '../support/paths.js';

const OUT = join(ROOT, 'test-results');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Raw GET: bytes as they crossed the wire (no transparent decompression). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks).length, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Reads an SSE stream until `count` events arrived, then disconnects. */
function readEvents(url: string, count: number, headers: Record<string, string> = {}): Promise<{ event: string; data: any }[]> {
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

describe('status page (real daemon, real Chromium)', () => {
  let proxy: FaultProxy;
  let daemon: Daemon;
  let browser: Browser;
  let config: string;

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    config = [
      'checks:',
      `  - { name: cache, kind: redis, url: "redis://127.0.0.1:${proxy.port}", every: 500ms, timeout: 1s, failureThreshold: 1, successThreshold: 1, critical: true }`,
      '  - { name: orders-db, kind: postgres, url: "postgres://postgres@127.0.0.1:5432/postgres", every: 2s }',
      '  - { name: pg-port, kind: tcp, host: 127.0.0.1, port: 5432, every: 2s }',
    ].join('\n');
    daemon = await startDaemon({ config });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    mkdirSync(OUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await proxy?.close();
  });

  it('shows every configured check, then a cut dependency turns failed without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
    let navigations = 0;
    page.on('framenavigated', (f) => (f === page.mainFrame() ? navigations++ : undefined));
    await page.goto(`${daemon.url}/`);
    for (const name of ['cache', 'orders-db', 'pg-port', 'cpu', 'memory', 'disk:/']) {
      await page.locator(`tr[data-check="${name}"]`).waitFor({ timeout: 15_000 });
    }
    await expect.poll(() => page.locator('tr[data-check="cache"] .word').textContent(), { timeout: 15_000 }).toBe(STATUS_WORD.pass);
    await expect.poll(() => page.locator('#connection').textContent()).toBe('live');
    expect(await page.locator('#gauges [data-gauge="cpu"]').count()).toBe(1);

    await proxy.refuse();
    const row = page.locator('tr[data-check="cache"]');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('fail');
    expect(await row.locator('.word').textContent()).toBe(STATUS_WORD.fail);
    expect(await row.locator('.icon').textContent()).toBe('✖');
    expect(await row.locator('td.detail').textContent()).toMatch(/refused|not connected|closed/);
    await expect.poll(() => page.locator('#events li[data-check="cache"]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    // The incident, in the analysis' words (the ones diagnose uses), without a reload.
    await expect.poll(() => page.locator('#incidents li').first().textContent(), { timeout: 10_000 }).toMatch(/^cache failed since \d\d:\d\d:\d\d, /);
    expect(navigations).toBe(1);
    await page.screenshot({ path: join(OUT, 'status-page.png'), fullPage: true });

    await proxy.restore();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('pass');
    await expect.poll(() => page.locator('#incidents li').first().textContent(), { timeout: 10_000 }).toMatch(/^cache was failed \d\d:\d\d:\d\d–\d\d:\d\d:\d\d \(/);
    expect(errors, errors.join("\n")).toEqual([]);
    await page.close();
  });

  it('is readable at 360 px and in dark mode, with status in text and icon', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 800 }, colorScheme: 'dark' });
    await page.goto(`${daemon.url}/status`);
    await page.locator('tr[data-check="orders-db"]').waitFor();
    // Functions run in the page, where `document` exists; this file is typed for Node.
    const scrollWidth = await page.evaluate('document.documentElement.scrollWidth');
    expect(scrollWidth).toBeLessThanOrEqual(360);
    const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(bg).toBe('rgb(13, 17, 23)');
    expect(await page.locator('#overall .word').textContent()).toMatch(/^(ok|warning|failed)$/);
    await page.screenshot({ path: join(OUT, 'status-page-360-dark.png'), fullPage: true });
    await page.close();
  });

  it('agrees with `vitals check`: same statuses, same words', async () => {
    const page = await browser.newPage();
    await page.goto(`${daemon.url}/`);
    await page.locator('tr[data-check="orders-db"] .word').waitFor();
    const cli = await runCli(['check', '--json', '--config', writeConfig(config)]);
    const checks = JSON.parse(cli.stdout).checks as { name: string; status: 'pass' | 'warn' | 'fail' }[];
    for (const c of checks.filter((x) => ['orders-db', 'pg-port', 'memory', 'disk:/'].includes(x.name))) {
      await expect.poll(() => page.locator(`tr[data-check="${c.name}"] .word`).textContent(), { timeout: 10_000 }).toBe(STATUS_WORD[c.status]);
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

  it('transfers under 100 KiB gzipped in all', async () => {
    const html = (await rawGet(`${daemon.url}/`, { 'accept-encoding': 'gzip' }));
    const index = (await rawGet(`${daemon.url}/`)).body.toString('utf8');
    const assets = [...index.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBe(5);
    let total = html.bytes;
    for (const a of assets) {
      const r = await rawGet(`${daemon.url}${a}`, { 'accept-encoding': 'gzip' });
      expect(r.status, a).toBe(200);
      expect(r.headers['content-encoding'], a).toBe('gzip');
      total += r.bytes;
    }
    const first = await readEvents(`${daemon.url}/events`, 1);
    total += Buffer.byteLength(JSON.stringify(first[0]!.data));
    expect(total).toBeLessThan(100 * 1024);
  });

  it('an SSE client that reconnects gets a fresh full snapshot first', async () => {
    const a = await readEvents(`${daemon.url}/events`, 2);
    expect(a[0]!.event).toBe('snapshot');
    expect(a[1]!.event).toBe('delta');
    const b = await readEvents(`${daemon.url}/events`, 1);
    expect(b[0]!.event).toBe('snapshot');
    expect(b[0]!.data.view.checks.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['cache', 'orders-db', 'pg-port', 'cpu']));
  });
});

describe('status page behind authentication', () => {
  it('the page loads, the data needs a read token, and the page connects once given one', async () => {
    const { token, sha256 } = makeToken();
    const daemon = await startDaemon({ config: `http:\n  auth:\n    tokens:\n      - { subject: viewer, sha256: ${sha256}, scopes: [vitals:read] }\n` });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    try {
      expect((await rawGet(`${daemon.url}/`)).status).toBe(200);
      expect((await rawGet(`${daemon.url}/events`)).status).toBe(401);
      const page = await browser.newPage();
      await page.goto(`${daemon.url}/`);
      await page.locator('#login').waitFor({ state: 'visible' });
      await page.fill('#token', token);
      await page.click('#login button');
      await page.locator('tr[data-check="cpu"]').waitFor({ timeout: 15_000 });
      expect(await page.locator('#login').isHidden()).toBe(true);
    } finally {
      await browser.close();
      await daemon.stop();
    }
  });
});
