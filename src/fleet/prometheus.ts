import type { SourceConfig } from '../config/fleet.js';
import { FleetError, SourceClient } from './http.js';

/** One series of an instant vector: labels and [unix seconds, "value"]. */
export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One series of a range matrix. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'pending' | 'inactive';
  activeAt?: string;
  value: string;
}

export interface AlertingRule {
  type: 'alerting';
  name: string;
  query: string;
  /** `for:` in seconds. */
  duration: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  alerts: PromAlert[];
  health: string;
  lastError?: string;
  state?: string;
  lastEvaluation?: string;
}

interface RecordingRule {
  type: 'recording';
  name: string;
  query: string;
  health: string;
  labels?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: (AlertingRule | RecordingRule)[];
}

export interface ActiveTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

interface ApiEnvelope<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
  warnings?: string[];
}

/** Seconds with millisecond precision, as the API takes them. */
const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** Prometheus HTTP API (`/api/v1/…`): what Prometheus, Thanos, Mimir and VictoriaMetrics all answer. */
export class PrometheusClient {
  readonly http: SourceClient;

  constructor(config: SourceConfig) {
    this.http = new SourceClient('Prometheus', config);
  }

  get url(): string {
    return this.http.display;
  }

  private async api<T>(
    path: string,
    params: Record<string, string | string[] | undefined>,
    method: 'GET' | 'POST' = 'POST',
  ): Promise<T> {
    const body = await this.http.request<ApiEnvelope<T>>({ method, path, params });
    if (body?.status !== 'success')
      throw new FleetError('FLEET_BAD_QUERY', `Prometheus: ${body?.error ?? 'unexpected answer'}`);
    return body.data;
  }

  /** An instant vector at `time` (ms; default now). Scalars come back as one sample without labels. */
  async query(expr: string, time?: number): Promise<InstantSample[]> {
    const data = await this.api<{ resultType: string; result: unknown }>('api/v1/query', {
      query: expr,
      ...(time !== undefined ? { time: seconds(time) } : {}),
    });
    if (data.resultType === 'vector') return data.result as InstantSample[];
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    throw new FleetError('FLEET_BAD_QUERY', `expected an instant vector, got a ${data.resultType}`);
  }

  async queryRange(expr: string, start: number, end: number, stepMs: number): Promise<RangeSeries[]> {
    const data = await this.api<{ resultType: string; result: RangeSeries[] }>('api/v1/query_range', {
      query: expr,
      start: seconds(start),
      end: seconds(end),
      step: seconds(stepMs),
    });
    if (data.resultType !== 'matrix')
      throw new FleetError('FLEET_BAD_QUERY', `expected a range matrix, got a ${data.resultType}`);
    return data.result;
  }

  /** Label sets of the series matching any selector in the range. */
  series(match: string[], start?: number, end?: number): Promise<Record<string, string>[]> {
    return this.api('api/v1/series', {
      'match[]': match,
      ...(start !== undefined ? { start: seconds(start) } : {}),
      ...(end !== undefined ? { end: seconds(end) } : {}),
    });
  }

  async rules(type?: 'alert' | 'record'): Promise<RuleGroup[]> {
    return (await this.api<{ groups: RuleGroup[] }>('api/v1/rules', { ...(type ? { type } : {}) }, 'GET')).groups;
  }

  async alerts(): Promise<PromAlert[]> {
    return (await this.api<{ alerts: PromAlert[] }>('api/v1/alerts', {}, 'GET')).alerts;
  }

  async targets(state: 'active' | 'dropped' | 'any' = 'active'): Promise<ActiveTarget[]> {
    return (await this.api<{ activeTargets: ActiveTarget[] }>('api/v1/targets', { state }, 'GET')).activeTargets;
  }

  close(): void {
    this.http.close();
  }
}

/** A label value inside a PromQL string literal. */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/** A regular expression matching exactly one of `values` (for `=~`), quoted. */
export function promAnyOf(values: string[]): string {
  return promString(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
}
