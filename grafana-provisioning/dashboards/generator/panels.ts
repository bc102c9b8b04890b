import type { AnnotationQuery, ClickHouseTarget, Dashboard, DatasourceRef, FieldOverride, Panel, PromTarget, QueryVariable, Target } from '../../dashboard-model';

/**
 * Builders for the provisioned dashboards: each dashboard file (pipeline-overview.ts, ...) says
 * what it shows; these say how Grafana wants it written. Datasources are referred to by the fixed
 * uids of grafana-provisioning/datasources/datasources.yml.
 */

export const PROMETHEUS: DatasourceRef = { type: 'prometheus', uid: 'prometheus' };
export const CLICKHOUSE: DatasourceRef = { type: 'grafana-clickhouse-datasource', uid: 'clickhouse' };

/** Every dashboard refreshes this often: the panels are live. */
export const LIVE_REFRESH = '5s';
export const TAG = 'upload-pulse';

/** Indentation-free SQL: lets the dashboard files write queries as indented template literals. */
export function sql(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const margin = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(margin)).join('\n');
}

/** Indents every line after the first by `spaces`: for SQL pasted into an indented template literal. */
export const indent = (text: string, spaces: number): string => text.split('\n').join(`\n${' '.repeat(spaces)}`);

type Unreferenced<T> = Omit<T, 'refId'>;

export const prom = (expr: string, legendFormat: string): Unreferenced<PromTarget> => ({ datasource: PROMETHEUS, editorMode: 'code', expr, legendFormat, range: true, instant: false });

export const clickhouse = (rawSql: string, shape: 'timeseries' | 'table'): Unreferenced<ClickHouseTarget> => ({
  datasource: CLICKHOUSE,
  editorType: 'sql',
  queryType: shape,
  format: shape === 'timeseries' ? 0 : 1,
  rawSql,
});

/** Series drawn as dashed reference lines: the control chart's centre line and limits. */
export function limitLines(lines: { center: string; ucl: string; lcl: string } = { center: 'center', ucl: 'ucl', lcl: 'lcl' }): FieldOverride[] {
  const dashed = (name: string, displayName: string, color: string): FieldOverride => ({
    matcher: { id: 'byName', options: name },
    properties: [
      { id: 'displayName', value: displayName },
      { id: 'color', value: { mode: 'fixed', fixedColor: color } },
      { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      { id: 'custom.lineWidth', value: 1 },
    ],
  });
  return [dashed(lines.center, 'centre line', 'green'), dashed(lines.ucl, 'UCL', 'red'), dashed(lines.lcl, 'LCL', 'red')];
}

/** Renames a returned column in the legend and tooltip. */
export const displayName = (column: string, name: string): FieldOverride => ({ matcher: { id: 'byName', options: column }, properties: [{ id: 'displayName', value: name }] });

export interface PanelSpec {
  /** Annotations name panels by key. */
  key?: string;
  type: Panel['type'];
  title: string;
  description: string;
  width: number;
  height: number;
  targets: Unreferenced<Target>[];
  unit?: string;
  min?: number;
  decimals?: number;
  /** Lower bound of $__interval (e.g. "1m" for the minute rollups). */
  interval?: string;
  overrides?: FieldOverride[];
  options?: Record<string, unknown>;
  /** Stat panels: [value, color] steps from the base color up. */
  thresholds?: { base: string; steps?: [number, string][] };
  /** Extra defaults for the fields (e.g. value mappings). */
  defaults?: Record<string, unknown>;
}

export interface AnnotationSpec {
  name: string;
  color: string;
  rawSql: string;
  /** Keys of the panels it is drawn on. */
  panels: string[];
}

export interface VariableSpec {
  name: string;
  label: string;
  description: string;
  rawSql: string;
  /** One value, or several with an "All" choice. */
  multi: boolean;
  hidden?: boolean;
  /** Chosen when the dashboard opens, if the query offers it (else the first option). */
  current?: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** How far back the dashboard opens, e.g. "30m". */
  lookback: string;
  variables?: VariableSpec[];
  panels: PanelSpec[];
  annotations?: AnnotationSpec[];
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const GRID_WIDTH = 24;

function variable(v: VariableSpec): QueryVariable {
  const current = v.multi ? { text: ['All'], value: ['$__all'] } : v.current !== undefined ? { text: v.current, value: v.current } : undefined;
  return {
    type: 'query',
    name: v.name,
    label: v.label,
    description: v.description,
    datasource: CLICKHOUSE,
    query: v.rawSql,
    definition: v.rawSql,
    refresh: 1,
    multi: v.multi,
    includeAll: v.multi,
    hide: v.hidden ? 2 : 0,
    sort: 0,
    ...(current ? { current } : {}),
    options: [],
  };
}

/** Lays panels out left to right in rows of 24 columns, numbering them from 1. */
function layout(specs: PanelSpec[]): { panels: Panel[]; ids: Map<string, number> } {
  const ids = new Map<string, number>();
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = specs.map((s, i): Panel => {
    if (s.width > GRID_WIDTH) throw new Error(`panel "${s.title}" is ${s.width} columns wide; the grid has ${GRID_WIDTH}`);
    if (x + s.width > GRID_WIDTH) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const id = i + 1;
    if (s.key) ids.set(s.key, id);
    const panel: Panel = {
      id,
      type: s.type,
      title: s.title,
      description: s.description,
      gridPos: { x, y, w: s.width, h: s.height },
      datasource: s.targets[0].datasource,
      ...(s.interval ? { interval: s.interval } : {}),
      targets: s.targets.map((t, n) => ({ ...t, refId: REF_IDS[n] }) as Target),
      fieldConfig: {
        defaults: {
          ...(s.unit ? { unit: s.unit } : {}),
          ...(s.min !== undefined ? { min: s.min } : {}),
          ...(s.decimals !== undefined ? { decimals: s.decimals } : {}),
          ...(s.thresholds
            ? { color: { mode: 'thresholds' }, thresholds: { mode: 'absolute', steps: [{ color: s.thresholds.base, value: null }, ...(s.thresholds.steps ?? []).map(([value, color]) => ({ color, value }))] } }
            : {}),
          ...s.defaults,
        },
        overrides: s.overrides ?? [],
      },
      ...(s.options ? { options: s.options } : {}),
    };
    x += s.width;
    rowHeight = Math.max(rowHeight, s.height);
    return panel;
  });
  return { panels, ids };
}

export function dashboard(spec: DashboardSpec): Dashboard {
  const { panels, ids } = layout(spec.panels);
  const annotations = (spec.annotations ?? []).map(
    (a): AnnotationQuery => ({
      name: a.name,
      enable: true,
      iconColor: a.color,
      datasource: CLICKHOUSE,
      target: { ...clickhouse(a.rawSql, 'table'), refId: 'Anno' },
      filter: {
        exclude: false,
        ids: a.panels.map((key) => {
          const id = ids.get(key);
          if (id === undefined) throw new Error(`annotation "${a.name}" names panel "${key}", which ${spec.uid} does not have`);
          return id;
        }),
      },
    }),
  );
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [TAG],
    schemaVersion: 39,
    version: 1,
    editable: false,
    graphTooltip: 1,
    timezone: 'utc',
    refresh: LIVE_REFRESH,
    time: { from: `now-${spec.lookback}`, to: 'now' },
    links: [{ title: 'upload-pulse', type: 'dashboards', tags: [TAG], asDropdown: true, includeVars: false, keepTime: true }],
    templating: { list: (spec.variables ?? []).map(variable) },
    annotations: { list: annotations },
    panels,
  };
}
