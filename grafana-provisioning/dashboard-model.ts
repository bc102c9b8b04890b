/**
 * The parts of Grafana's dashboard JSON (schemaVersion 39, read by Grafana 12) that this project
 * writes (dashboards/generator/) and reads back (targets.ts, the tests). Grafana fills in every
 * option left out with its default.
 */

export interface DatasourceRef {
  type: string;
  uid: string;
}

/** A Prometheus query (Grafana's built-in datasource). */
export interface PromTarget {
  refId: string;
  datasource: DatasourceRef;
  expr: string;
  legendFormat?: string;
  editorMode: 'code';
  range: boolean;
  instant: boolean;
}

/** A raw-SQL query of the official ClickHouse plugin (grafana-clickhouse-datasource v4). */
export interface ClickHouseTarget {
  refId: string;
  datasource: DatasourceRef;
  editorType: 'sql';
  /** How the plugin shapes the result: a time series (a `time` column first, sorted) or a table. */
  queryType: 'timeseries' | 'table';
  /** The same choice as the backend's number: 0 time series, 1 table. */
  format: 0 | 1;
  rawSql: string;
}

export type Target = PromTarget | ClickHouseTarget;

export interface FieldOverride {
  matcher: { id: 'byName'; options: string };
  properties: { id: string; value: unknown }[];
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Panel {
  id: number;
  type: 'timeseries' | 'stat' | 'table';
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: DatasourceRef;
  /** Lower bound of $__interval for this panel's queries (Grafana's "Min interval"). */
  interval?: string;
  targets?: Target[];
  fieldConfig?: { defaults: Record<string, unknown>; overrides: FieldOverride[] };
  options?: Record<string, unknown>;
}

/** A variable whose options come from a datasource query; `query` is the SQL or PromQL itself. */
export interface QueryVariable {
  type: 'query';
  name: string;
  label?: string;
  description?: string;
  datasource: DatasourceRef;
  query: string;
  definition: string;
  /** 1: when the dashboard loads; 2: whenever the time range changes. */
  refresh: 1 | 2;
  multi: boolean;
  includeAll: boolean;
  /** 0 shown, 2 hidden. */
  hide: 0 | 2;
  /** 0: in the order the query returns them. */
  sort: 0;
  current?: { text: string | string[]; value: string | string[] };
  options: [];
}

export interface AnnotationQuery {
  name: string;
  enable: boolean;
  iconColor: string;
  datasource: DatasourceRef;
  target: ClickHouseTarget;
  /** Only on these panels. */
  filter?: { exclude: boolean; ids: number[] };
}

export interface DashboardLink {
  title: string;
  type: 'dashboards';
  tags: string[];
  asDropdown: boolean;
  includeVars: boolean;
  keepTime: boolean;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: number;
  version: number;
  editable: boolean;
  graphTooltip: number;
  timezone: 'utc';
  /** Dashboard refresh interval, e.g. "5s". */
  refresh: string;
  /** Relative to now, as Grafana writes it: "now-30m" .. "now". */
  time: { from: string; to: string };
  links: DashboardLink[];
  templating: { list: QueryVariable[] };
  annotations: { list: AnnotationQuery[] };
  panels: Panel[];
}

export const isPromTarget = (t: Target): t is PromTarget => 'expr' in t;
