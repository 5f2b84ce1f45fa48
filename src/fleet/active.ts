import type { GettableAlert, Silence } from './alertmanager.js';
import type { Fleet } from './index.js';
import type { PromAlert } from './prometheus.js';

interface SilenceView {
  id: string;
  createdBy: string;
  comment: string;
  endsAt: string;
}

export interface ActiveAlert {
  name: string;
  state: 'firing' | 'pending';
  severity: string | null;
  instance: string | null;
  /** Every label but alertname. */
  labels: Record<string, string>;
  /** When the condition first held (Prometheus activeAt, or Alertmanager startsAt). */
  since: string | null;
  /** When it started firing, where Alertmanager says (its startsAt is Prometheus' FiredAt). */
  firingSince: string | null;
  value: number | null;
  summary: string | null;
  silencedBy: SilenceView[];
  inhibited: boolean;
  /** Where it was seen. */
  source: 'prometheus' | 'alertmanager' | 'both';
}

const withoutName = ({ alertname: _a, ...rest }: Record<string, string>) => rest;

/** An Alertmanager alert is a Prometheus one when it carries all of its labels (external labels come on top). */
const sameAlert = (prom: Record<string, string>, am: Record<string, string>) =>
  Object.entries(prom).every(([k, v]) => am[k] === v);

const SEVERITY_RANK: Record<string, number> = { critical: 0, page: 0, error: 1, warning: 2, info: 3 };

/**
 * Firing and pending alerts from Prometheus, merged with what Alertmanager holds: which are silenced (and by
 * whom, until when) or inhibited, and alerts only Alertmanager has (posted by daemons, or from another
 * Prometheus). Either source alone works.
 */
export async function activeAlerts(fleet: Fleet): Promise<{ alerts: ActiveAlert[]; sources: string[] }> {
  const [prom, am, silences] = await Promise.all([
    fleet.prometheus ? fleet.prometheus.alerts() : Promise.resolve(undefined as PromAlert[] | undefined),
    fleet.alertmanager ? fleet.alertmanager.alerts() : Promise.resolve(undefined as GettableAlert[] | undefined),
    fleet.alertmanager ? fleet.alertmanager.silences() : Promise.resolve([] as Silence[]),
  ]);
  const silenceBy = new Map(
    silences.map((s) => [
      s.id,
      { id: s.id, createdBy: s.createdBy, comment: s.comment.slice(0, 200), endsAt: s.endsAt },
    ]),
  );
  const amLeft = new Set(am ?? []);
  const out: ActiveAlert[] = [];
  for (const a of prom ?? []) {
    if (a.state !== 'firing' && a.state !== 'pending') continue;
    const match = am?.find((x) => amLeft.has(x) && sameAlert(a.labels, x.labels));
    if (match) amLeft.delete(match);
    const value = Number(a.value);
    out.push({
      name: a.labels.alertname ?? '?',
      state: a.state,
      severity: a.labels.severity ?? null,
      instance: a.labels.instance ?? null,
      labels: withoutName(a.labels),
      since: a.activeAt ?? null,
      firingSince: a.state === 'firing' ? (match?.startsAt ?? null) : null,
      value: Number.isFinite(value) ? value : null,
      summary: a.annotations.summary ?? null,
      silencedBy: (match?.status.silencedBy ?? []).map(
        (id) => silenceBy.get(id) ?? { id, createdBy: '?', comment: '', endsAt: '' },
      ),
      inhibited: (match?.status.inhibitedBy.length ?? 0) > 0,
      source: match ? 'both' : 'prometheus',
    });
  }
  for (const x of amLeft) {
    // Resolved alerts linger in Alertmanager until resolve_timeout; they are not active.
    if (Date.parse(x.endsAt) <= Date.now()) continue;
    out.push({
      name: x.labels.alertname ?? '?',
      state: 'firing',
      severity: x.labels.severity ?? null,
      instance: x.labels.instance ?? null,
      labels: withoutName(x.labels),
      since: x.startsAt,
      firingSince: x.startsAt,
      value: null,
      summary: x.annotations.summary ?? null,
      silencedBy: x.status.silencedBy.map((id) => silenceBy.get(id) ?? { id, createdBy: '?', comment: '', endsAt: '' }),
      inhibited: x.status.inhibitedBy.length > 0,
      source: 'alertmanager',
    });
  }
  const sev = (a: ActiveAlert) => SEVERITY_RANK[a.severity ?? ''] ?? 4;
  out.sort(
    (a, b) =>
      (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1) ||
      sev(a) - sev(b) ||
      Date.parse(a.since ?? '') - Date.parse(b.since ?? '') ||
      a.name.localeCompare(b.name),
  );
  return {
    alerts: out,
    sources: [fleet.prometheus?.url, fleet.alertmanager?.url].filter((s): s is string => Boolean(s)),
  };
}
