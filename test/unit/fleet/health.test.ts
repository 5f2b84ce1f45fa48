import { describe, expect, it } from 'vitest';
import { sortFleet, summarizeFleet, type FleetInstance, type FleetStatus } from '../../../src/fleet/health.js';
import { renderFleet } from '../../../src/mcp/tools/fleet-health.js';

const inst = (n: number, status: FleetStatus, checks: FleetInstance['checks'] = []): FleetInstance => ({
  instance: `10.0.${Math.floor(n / 256)}.${n % 256}:9464`,
  job: 'mcp-vitals',
  host: `host-${String(n).padStart(4, '0')}.prod.example.com`,
  version: '0.1.0',
  status,
  checks,
  ...(status === 'not_reporting' ? { reason: 'scrape failing (up == 0)', lastSeen: '2026-06-15T11:00:00.000Z' } : {}),
});

describe('fleet summary', () => {
  it('sorts worst first: fail, not reporting, warn, unknown, pass; more failing checks first', () => {
    const list = sortFleet([
      inst(1, 'pass'),
      inst(2, 'warn'),
      inst(3, 'not_reporting'),
      inst(4, 'fail', [{ check: 'a', status: 'fail', critical: false }]),
      inst(5, 'fail', [
        { check: 'a', status: 'fail', critical: false },
        { check: 'b', status: 'fail', critical: true },
      ]),
      inst(6, 'unknown'),
    ]);
    expect(list.map((i) => i.instance.split('.').at(-1))).toEqual([
      '5:9464',
      '4:9464',
      '3:9464',
      '2:9464',
      '6:9464',
      '1:9464',
    ]);
  });

  it('counts every status and lists only the worst N of those not passing', () => {
    const all = sortFleet([
      ...Array.from({ length: 5 }, (_, i) => inst(i, 'fail')),
      ...Array.from({ length: 20 }, (_, i) => inst(100 + i, 'pass')),
    ]);
    const s = summarizeFleet(all, { limit: 3 });
    expect(s.counts).toEqual({ fail: 5, not_reporting: 0, warn: 0, unknown: 0, pass: 20 });
    expect(s.shown).toHaveLength(3);
    expect(s.omitted).toBe(2);
    expect(summarizeFleet(all, { limit: 100, status: ['pass'] }).shown).toHaveLength(20);
    expect(summarizeFleet(all, { limit: 100, includePassing: true }).shown).toHaveLength(25);
  });

  it('answers for 1,000 instances, all in trouble, in under 4,000 characters', () => {
    const checks: FleetInstance['checks'] = [
      'orders-db',
      'cache',
      'payments-api',
      'disk:/var/lib/postgresql',
      'memory',
      'cpu',
    ].map((c, i) => ({ check: c, status: i % 2 ? 'warn' : 'fail', critical: i === 0 }));
    const statuses: FleetStatus[] = ['fail', 'not_reporting', 'warn', 'unknown'];
    const all = sortFleet(
      Array.from({ length: 1000 }, (_, i) =>
        inst(i, statuses[i % 4]!, statuses[i % 4] === 'fail' || statuses[i % 4] === 'warn' ? checks : []),
      ),
    );
    const s = summarizeFleet(all, { limit: 10 });
    const answer = renderFleet(s, {
      source: 'http://prom:9090',
      at: Date.parse('2026-06-15T12:00:00Z'),
      now: Date.parse('2026-06-15T12:00:00Z'),
      lookbackMs: 3_600_000,
    });
    expect(answer.text).toMatch(
      new RegExp(
        String.raw`^1000 mcp-vitals instance\(s\) in Prometheus \(seen within 60m\): ` +
          String.raw`250 fail, 250 not reporting, 250 warn, 250 unknown\.`,
      ),
    );
    expect(answer.text).toContain('… 990 more not shown');
    expect(answer.text).toContain(
      'orders-db fail (critical), cache warn, payments-api fail, disk:/var/lib/postgresql warn, +2 more',
    );
    expect(answer.text.length).toBeLessThan(4000);
  });

  it('stays within its text budget whatever limit is asked, counting what it leaves out', () => {
    const checks: FleetInstance['checks'] = ['orders-db', 'cache', 'payments-api', 'disk:/var/lib/postgresql'].map(
      (c) => ({ check: c, status: 'fail', critical: true }),
    );
    const all = sortFleet(Array.from({ length: 1000 }, (_, i) => inst(i, 'fail', checks)));
    const answer = renderFleet(summarizeFleet(all, { limit: 200 }), {
      source: 'http://prom:9090',
      at: 0,
      now: 0,
      lookbackMs: 3_600_000,
    });
    expect(answer.text.length).toBeLessThanOrEqual(3500);
    const shownLines = answer.text.split('\n').filter((l) => l.startsWith('FAIL ')).length;
    expect(answer.text.split('\n').at(-1)).toBe(
      `… ${1000 - shownLines} more not shown (raise limit, or filter by status).`,
    );
    expect(answer.data.instances).toHaveLength(200);
  });

  it('keeps the structured data under 4,000 characters too when instances fail a couple of checks each', () => {
    const checks: FleetInstance['checks'] = [
      { check: 'orders-db', status: 'fail', critical: true },
      { check: 'cache', status: 'warn', critical: false },
    ];
    const all = sortFleet(
      Array.from({ length: 1000 }, (_, i) => inst(i, i % 2 ? 'fail' : 'pass', i % 2 ? checks : [])),
    );
    const answer = renderFleet(summarizeFleet(all, { limit: 10 }), {
      source: 'http://prom:9090',
      at: 0,
      now: 0,
      lookbackMs: 3_600_000,
    });
    expect(JSON.stringify(answer.data).length).toBeLessThan(4000);
    expect(answer.text.length).toBeLessThan(2000);
  });

  it('says so when Prometheus knows no daemon', () => {
    const answer = renderFleet(summarizeFleet([], { limit: 10 }), {
      source: 'http://prom:9090',
      at: 0,
      now: 0,
      lookbackMs: 3_600_000,
    });
    expect(answer.text).toBe(
      'Prometheus at http://prom:9090 has no target_info{service_name="mcp-vitals"} within 60m: no daemon is ' +
        'scraped by it.',
    );
  });
});
