import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { Dashboard, DatasourceRef, Panel, QueryVariable, Target } from './dashboard-model';
import { isPromTarget } from './dashboard-model';

/**
 * What Grafana would run for the provisioned dashboards: the dashboards and datasources as
 * provisioned from this folder, and every query in them (panel targets, annotations, variables)
 * with where it comes from. expand.ts turns a query into the text the server receives.
 */

export const PROVISIONING_DIR = __dirname;
export const DASHBOARD_DIR = path.join(PROVISIONING_DIR, 'dashboards', 'json');
export const DATASOURCES_FILE = path.join(PROVISIONING_DIR, 'datasources', 'datasources.yml');

export interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url?: string;
  jsonData?: { timeInterval?: string; host?: string; port?: number; protocol?: string; defaultDatabase?: string; [key: string]: unknown };
}

export function loadDatasources(file = DATASOURCES_FILE): ProvisionedDatasource[] {
  const doc = parse(fs.readFileSync(file, 'utf8')) as { datasources?: ProvisionedDatasource[] };
  if (!doc?.datasources?.length) throw new Error(`${file} provisions no datasources`);
  return doc.datasources;
}

/** Every *.json of the dashboards folder, parsed; a file that is not JSON fails with its name. */
export function loadDashboards(dir = DASHBOARD_DIR): { file: string; dashboard: Dashboard }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      try {
        return { file, dashboard: JSON.parse(fs.readFileSync(file, 'utf8')) as Dashboard };
      } catch (err) {
        throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
      }
    });
}

export type QueryLanguage = 'promql' | 'sql';

export interface DashboardQuery {
  dashboard: Dashboard;
  /** Names the query in messages: `<dashboard uid> panel "<title>" <refId>`, `... annotation "<name>"`, `... variable $<name>`. */
  label: string;
  source: 'panel' | 'annotation' | 'variable';
  language: QueryLanguage;
  datasource: DatasourceRef;
  /** The PromQL or SQL as written in the dashboard. */
  text: string;
  panel?: Panel;
  target?: Target;
  variable?: QueryVariable;
}

const languageOf = (ds: DatasourceRef, label: string): QueryLanguage => {
  if (ds.type === 'prometheus') return 'promql';
  if (ds.type === 'grafana-clickhouse-datasource') return 'sql';
  throw new Error(`${label} uses a datasource of type ${ds.type}; the dashboards use Prometheus and ClickHouse only`);
};

const targetText = (t: Target): string => (isPromTarget(t) ? t.expr : t.rawSql);

/** Every query of a dashboard: variables first (in order, as Grafana resolves them), then annotations, then panels. */
export function dashboardQueries(d: Dashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const v of d.templating.list) {
    const label = `${d.uid} variable $${v.name}`;
    queries.push({ dashboard: d, label, source: 'variable', language: languageOf(v.datasource, label), datasource: v.datasource, text: v.query, variable: v });
  }
  for (const a of d.annotations.list) {
    const label = `${d.uid} annotation "${a.name}"`;
    queries.push({ dashboard: d, label, source: 'annotation', language: languageOf(a.datasource, label), datasource: a.datasource, text: a.target.rawSql, target: a.target });
  }
  for (const panel of d.panels) {
    for (const target of panel.targets ?? []) {
      const label = `${d.uid} panel "${panel.title}" ${target.refId}`;
      queries.push({ dashboard: d, label, source: 'panel', language: languageOf(target.datasource, label), datasource: target.datasource, text: targetText(target), panel, target });
    }
  }
  return queries;
}

/**
 * The dashboard variables a query's text refers to: `$name`, `${name}`, `${name:format}` and
 * `[[name]]`. Grafana's own (`$__interval`, ...) and the plugin's macros (`$__timeFilter`, ...) start
 * with two underscores and are not dashboard variables.
 */
export function variablesUsed(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]/g)) {
    const name = m[1] ?? m[2] ?? m[3];
    if (!name.startsWith('__')) names.add(name);
  }
  return [...names];
}

/** The provisioned datasource a query names, or an error saying which uid is missing. */
export function datasourceOf(q: Pick<DashboardQuery, 'label' | 'datasource'>, datasources: ProvisionedDatasource[]): ProvisionedDatasource {
  const ds = datasources.find((d) => d.uid === q.datasource.uid);
  if (!ds) throw new Error(`${q.label} uses datasource uid "${q.datasource.uid}", which datasources.yml does not provision (it has ${datasources.map((d) => d.uid).join(', ')})`);
  return ds;
}
