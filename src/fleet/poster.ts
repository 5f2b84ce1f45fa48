import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AlertmanagerSourceConfig } from '../config/fleet.js';
import type { CheckState, CheckStatus, HealthEvent, Snapshot } from '../monitor/schema.js';
import type { AlertmanagerClient, PostableAlert } from './alertmanager.js';

/** What the poster needs of the monitor: its snapshot and its transition events. */
export interface TransitionSource {
  readonly snapshot: Snapshot;
  on(event: 'event', listener: (e: HealthEvent) => void): unknown;
  off(event: 'event', listener: (e: HealthEvent) => void): unknown;
}

interface Firing {
  alert: PostableAlert;
  status: CheckStatus;
}

const ALERTNAME: Record<'warn' | 'fail', string> = { fail: 'VitalsCheckFailing', warn: 'VitalsCheckWarning' };
const SEVERITY: Record<'warn' | 'fail', string> = { fail: 'critical', warn: 'warning' };

/**
 * Posts this daemon's own checks to Alertmanager as alerts, the way Prometheus would: a check that turns
 * bad is posted at once and re-sent every `resendInterval` while it stays bad (with `endsAt` four intervals
 * ahead, so a daemon that dies stops holding its alerts open), and posted with `endsAt` = now when it
 * recovers. A single host gets routing, grouping and silences without Prometheus rules.
 */
export class AlertPoster {
  private readonly firing = new Map<string, Firing>();
  /** Resolutions not yet delivered, by alertname and check; sent with the next post. */
  private readonly resolving = new Map<string, PostableAlert>();
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private readonly instance: string;
  private readonly onEvent = (e: HealthEvent) => {
    if (e.type === 'status') this.transition(e.check, e.to as CheckStatus, e.reason, e.time);
  };
  /** Posts delivered and failed, for tests and logs. */
  posted = 0;
  failures = 0;

  constructor(
    private readonly monitor: TransitionSource,
    private readonly client: AlertmanagerClient,
    private readonly config: AlertmanagerSourceConfig['post'],
    private readonly log: Logger,
  ) {
    this.instance = config.instance ?? hostname();
  }

  start(): void {
    // Checks already bad when posting starts are alerts too.
    for (const c of Object.values(this.monitor.snapshot.checks))
      if (c.status === 'warn' || c.status === 'fail') this.transition(c.name, c.status, c.output, c.since, c);
    this.monitor.on('event', this.onEvent);
    this.timer = setInterval(() => void this.flush(), this.config.resendInterval);
    this.timer.unref();
    void this.flush();
  }

  private wanted(check: string, status: CheckStatus): status is 'warn' | 'fail' {
    if (this.config.checks && !this.config.checks.includes(check)) return false;
    return status === 'fail' || (status === 'warn' && this.config.minStatus === 'warn');
  }

  private transition(check: string, to: CheckStatus, reason: string, time: string, state?: CheckState): void {
    const prev = this.firing.get(check);
    if (prev && prev.status === to) return;
    if (prev) {
      // A change of severity is a different alert (its labels differ): the old one resolves.
      this.resolving.set(`${prev.alert.labels.alertname}\u0000${check}`, {
        ...prev.alert,
        endsAt: new Date().toISOString(),
      });
      this.firing.delete(check);
    }
    if (this.wanted(check, to)) {
      const s = state ?? this.monitor.snapshot.checks[check];
      // Firing again before an earlier resolution of the same alert went out: that resolution is moot.
      this.resolving.delete(`${ALERTNAME[to]}\u0000${check}`);
      this.firing.set(check, {
        status: to,
        alert: {
          labels: {
            ...this.config.labels,
            alertname: ALERTNAME[to],
            check,
            severity: SEVERITY[to],
            instance: this.instance,
            ...(s ? { kind: s.kind, critical: String(s.critical) } : {}),
          },
          annotations: {
            summary: `${check} is ${to === 'fail' ? 'failing' : 'warning'} on ${this.instance}`,
            description: reason.slice(0, 1000),
          },
          startsAt: time,
          ...(this.config.generatorUrl ? { generatorURL: this.config.generatorUrl } : {}),
        },
      });
    }
    void this.flush();
  }

  /** Sends every firing alert (endsAt pushed ahead) and pending resolutions; one send at a time, never throws. */
  flush(): Promise<void> {
    this.sending = this.sending.then(async () => {
      const endsAt = new Date(Date.now() + 4 * this.config.resendInterval).toISOString();
      const resolving = [...this.resolving.entries()];
      const batch = [...[...this.firing.values()].map((f) => ({ ...f.alert, endsAt })), ...resolving.map(([, a]) => a)];
      if (!batch.length) return;
      try {
        await this.client.postAlerts(batch);
        this.posted++;
        for (const [k, a] of resolving) if (this.resolving.get(k) === a) this.resolving.delete(k);
      } catch (e) {
        // Kept for the next interval: Alertmanager being away loses nothing but time.
        if (this.failures++ % 10 === 0)
          this.log.warn(
            { err: (e as Error).message, alerts: batch.length },
            'posting alerts to Alertmanager failed; retrying every resend interval',
          );
      }
    });
    return this.sending;
  }

  /** Stops posting. Firing alerts are left to expire at their endsAt: a daemon going away has not seen them recover. */
  async stop(): Promise<void> {
    this.monitor.off('event', this.onEvent);
    if (this.timer) clearInterval(this.timer);
    await this.sending;
  }
}
