import type { SourceConfig } from '../config/fleet.js';
import { SourceClient } from './http.js';

/** An alert as Alertmanager's v2 API returns it. */
export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  generatorURL?: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
  receivers: { name: string }[];
}

/** An alert to post: firing while `endsAt` is absent or in the future, resolved once it is in the past. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface Silence {
  id: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

/** Alertmanager API v2 (`/api/v2/alerts`, `/api/v2/silences`). */
export class AlertmanagerClient {
  readonly http: SourceClient;

  constructor(config: SourceConfig) {
    this.http = new SourceClient('Alertmanager', config);
  }

  get url(): string {
    return this.http.display;
  }

  /**
   * Alerts Alertmanager holds; by default active, silenced and inhibited ones alike. `filter` are label matchers
   * (`alertname="X"`).
   */
  alerts(
    options: { filter?: string[]; active?: boolean; silenced?: boolean; inhibited?: boolean } = {},
  ): Promise<GettableAlert[]> {
    const flag = (b: boolean | undefined) => (b === undefined ? undefined : String(b));
    return this.http.request({
      path: 'api/v2/alerts',
      params: {
        filter: options.filter,
        active: flag(options.active),
        silenced: flag(options.silenced),
        inhibited: flag(options.inhibited),
      },
    });
  }

  async postAlerts(alerts: PostableAlert[]): Promise<void> {
    if (alerts.length) await this.http.request({ method: 'POST', path: 'api/v2/alerts', json: alerts });
  }

  silences(): Promise<Silence[]> {
    return this.http.request({ path: 'api/v2/silences' });
  }

  close(): void {
    this.http.close();
  }
}
