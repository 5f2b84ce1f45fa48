import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../support/http-daemon.js';
import { docker, run, DOCKER, waitFor } from './docker.js';

/**
 * A daemon on the host, then a container started beside it: the container's overlay root (under the engine's
 * temporary data root, where no path exclusion would catch it), its shm and its bind mounts must not become
 * filesystem checks, status-page cards or /metrics series.
 */
describe('a container started on the host changes nothing the daemon watches', () => {
  const name = `mcp-vitals-mounts-${process.pid}`;
  let daemon: Daemon;

  interface View {
    time: string;
    disks: string[];
    cards: string[];
    series: string[];
  }

  const seriesOf = (text: string) =>
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.slice(0, l.lastIndexOf(' ')))
      // Request-path metrics of the scrape itself vary with timing buckets only, not with mounts.
      .filter((s) => !s.startsWith('http_server_request_duration'));

  async function view(): Promise<View> {
    const health = (await (await fetch(`${daemon.url}/health`)).json()) as {
      checks: Record<string, { componentId?: string }[]>;
    };
    const { view: status } = (await (await fetch(`${daemon.url}/api/status`)).json()) as {
      view: { time: string; checks: { name: string }[]; gauges: { name: string }[] };
    };
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    return {
      time: status.time,
      disks: Object.entries(health.checks)
        .flatMap(([k, v]) => (k.startsWith('disk:') ? v.map((c) => `${k} ${c.componentId}`) : []))
        .sort(),
      cards: [...status.checks.map((c) => `check ${c.name}`), ...status.gauges.map((g) => `gauge ${g.name}`)].sort(),
      series: seriesOf(metrics).sort(),
    };
  }

  /** A view taken after at least two more host samples than `after`. */
  async function settled(after: string): Promise<View> {
    let seen = 0;
    let last = after;
    return waitFor(
      async () => {
        const v = await view();
        if (v.time !== last) {
          seen++;
          last = v.time;
        }
        return seen >= 2 ? v : undefined;
      },
      'two more host samples',
      20_000,
      300,
    );
  }

  const overlayMounts = () =>
    readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.split(' ')[2] === 'overlay');

  beforeAll(async () => {
    daemon = await startDaemon({
      config: 'host:\n  interval: 1s\nhttp:\n  metricsAuth: { open: true }\n  openHealth: true\n',
    });
    await waitFor(async () => (await view()).disks.length > 0, 'the first filesystem sample');
  });

  afterAll(async () => {
    run(DOCKER, ['rm', '--force', name]);
    await daemon?.stop();
  });

  it('no new filesystem check, status card or series', async () => {
    const before = await settled((await view()).time);
    const overlaysBefore = overlayMounts().length;

    docker(
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      '--read-only',
      '--cap-drop',
      'ALL',
      'node:20-bookworm-slim',
      'sleep',
      '300',
    );
    // The premise: the host now has one more overlay mount (the container's root).
    await waitFor(() => overlayMounts().length > overlaysBefore, 'the container overlay mount on the host');
    expect(overlayMounts().join('\n')).toMatch(/\/merged overlay /);

    const after = await settled(before.time);
    expect(after.disks).toEqual(before.disks);
    expect(after.cards).toEqual(before.cards);
    expect(after.series.filter((s) => !before.series.includes(s))).toEqual([]);
    expect(before.disks.length).toBeGreaterThan(0);
  });
});
