import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Alerts as Prometheus evaluated them during a run (its ALERTS series), so a fault scenario can say
 * which alerts fired, when, and whether they resolved.
 */

export interface AlertInterval { alert: string; labels: string; from: number; to: number }

interface PromResult { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }

async function promQuery(url: string, path: string, params: Record<string, string>): Promise<PromResult[]> {
  const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: PromResult[] } };
  if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? res.status}`);
  return body.data!.result;
}

const selector = (alerts: readonly string[]) => `ALERTS{alertstate="firing", alertname=~"${alerts.join('|')}"}`;
const describe = (m: Record<string, string>) => Object.entries(m).filter(([k]) => !['__name__', 'alertstate', 'alertname', 'severity'].includes(k)).map(([k, v]) => `${k}=${v}`).join(',');

/** Firing intervals of the named alerts between two epoch-ms instants, at `stepS` resolution. */
export async function firingIntervals(prometheusUrl: string, alerts: readonly string[], from: number, to: number, stepS = 5): Promise<AlertInterval[]> {
  const result = await promQuery(prometheusUrl, 'query_range', { query: selector(alerts), start: String(from / 1000), end: String(to / 1000), step: `${stepS}s` });
  return result.flatMap((series) => {
    const intervals: AlertInterval[] = [];
    for (const [t] of series.values ?? []) {
      const at = t * 1000;
      const last = intervals.at(-1);
      if (last && at - last.to <= stepS * 1000) last.to = at;
      else intervals.push({ alert: series.metric.alertname, labels: describe(series.metric), from: at, to: at });
    }
    return intervals;
  });
}

/** Waits until none of the named alerts fires, or `timeoutMs` passed; the ones still firing. */
export async function waitResolved(prometheusUrl: string, alerts: readonly string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const firing = (await promQuery(prometheusUrl, 'query', { query: selector(alerts) })).map((r) => `${r.metric.alertname}{${describe(r.metric)}}`);
    if (firing.length === 0 || Date.now() > deadline) return firing;
    await sleep(5000);
  }
}
