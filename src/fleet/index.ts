import type { FleetConfig } from '../config/fleet.js';
import { AlertmanagerClient } from './alertmanager.js';
import { FleetError } from './http.js';
import { PrometheusClient } from './prometheus.js';
import { RemoteHistory } from './series.js';

export { FleetError } from './http.js';

/** The fleet's sources, built once from config and shared by every MCP session. */
export class Fleet {
  readonly prometheus: PrometheusClient | undefined;
  readonly alertmanager: AlertmanagerClient | undefined;
  /** How far back an instance still counts as part of the fleet. */
  readonly lookbackMs: number;

  constructor(readonly config: FleetConfig) {
    this.prometheus = config.prometheus ? new PrometheusClient(config.prometheus) : undefined;
    this.alertmanager = config.alertmanager ? new AlertmanagerClient(config.alertmanager) : undefined;
    this.lookbackMs = config.prometheus?.lookback ?? 3_600_000;
  }

  requirePrometheus(): PrometheusClient {
    if (!this.prometheus)
      throw new FleetError('FLEET_UNAVAILABLE', 'no Prometheus source is configured (fleet.prometheus.url)');
    return this.prometheus;
  }

  /** One instance's history read from Prometheus, in the local store's shape. */
  history(instance: string): RemoteHistory {
    return new RemoteHistory(this.requirePrometheus(), instance);
  }

  close(): void {
    this.prometheus?.close();
    this.alertmanager?.close();
  }
}
