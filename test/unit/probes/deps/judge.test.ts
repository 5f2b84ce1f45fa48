import { describe, expect, it } from 'vitest';
import { CheckConfig } from '../../../../src/config/checks.js';
import { judgeStats } from '../../../../src/probes/deps/postgres.js';
import { judgeInfo } from '../../../../src/probes/deps/redis.js';

const pg = { ...CheckConfig.parse({ name: 'db', kind: 'postgres', url: 'postgres://h/d' }), instance: 'db' };
const redis = { ...CheckConfig.parse({ name: 'c', kind: 'redis', url: 'redis://h' }), instance: 'c' };
const stats = { version: '16.2', max_connections: 100, connections: 10, replica: false, replication_lag: 0 };

describe('postgres verdict', () => {
  it('passes with values and facts', () => {
    expect(judgeStats(pg as Parameters<typeof judgeStats>[0], stats, 0.002)).toEqual({
      ok: true,
      values: { responseTimeSeconds: 0.002, connections: 10, maxConnections: 100, connectionsRatio: 0.1 },
      info: { version: '16.2', role: 'primary' },
      warnings: [],
    });
  });

  it('warns, then fails, on connections near max_connections; lag on a replica wins the reason', () => {
    const c = pg as Parameters<typeof judgeStats>[0];
    expect(judgeStats(c, { ...stats, connections: 85 }, 0).warnings).toEqual(['connections 85/100 at or above 80%']);
    const full = judgeStats(c, { ...stats, connections: 96, replica: true, replication_lag: 400 }, 0);
    expect(full).toMatchObject({ ok: false, error: 'replication lag 400.0s', info: { role: 'replica' } });
    expect(full.values.replicationLagSeconds).toBe(400);
  });
});

describe('redis verdict', () => {
  const info = (used: number, max: number) =>
    '# Server\r\nredis_version:7.2.4\r\nrole:master\r\nconnected_clients:3\r\n' +
    `used_memory:${used}\r\nmaxmemory:${max}\r\n`;

  it('without maxmemory has no ratio to judge', () => {
    expect(judgeInfo(redis as Parameters<typeof judgeInfo>[0], info(500, 0), 0.001)).toEqual({
      ok: true,
      values: { responseTimeSeconds: 0.001, usedMemoryBytes: 500, maxMemoryBytes: 0, connectedClients: 3 },
      info: { role: 'master', version: '7.2.4' },
    });
  });

  it('warns and fails on used memory against maxmemory', () => {
    const c = redis as Parameters<typeof judgeInfo>[0];
    expect(judgeInfo(c, info(85, 100), 0).warnings).toEqual(['used memory at 85% of maxmemory']);
    expect(judgeInfo(c, info(99, 100), 0)).toMatchObject({ ok: false, error: 'used memory at 99% of maxmemory' });
  });
});
