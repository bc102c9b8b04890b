import type { ClickHouseTarget, Dashboard } from './dashboard-model';
import { isPromTarget } from './dashboard-model';
import { ALL, dashboardRange, expandClickHouse, expandPrometheus, MACROS_MISSING_IN_18_16, type VariableState } from './expand';
import { dashboardQueries, datasourceOf, loadDashboards, loadDatasources, variablesUsed } from './targets';

/** The provisioned dashboards, statically: what Grafana would refuse or silently show wrong. */

const datasources = loadDatasources();
const dashboards = loadDashboards().map(({ dashboard }) => dashboard);
const PANEL_TYPES = ['timeseries', 'stat', 'table'];

test('three dashboards with fixed, distinct uids and titles', () => {
  expect(dashboards.map((d) => d.uid).sort()).toEqual(['upload-pulse-control-charts', 'upload-pulse-pipeline', 'upload-pulse-seller']);
  expect(new Set(dashboards.map((d) => d.title)).size).toBe(3);
});

describe.each(dashboards.map((d): [string, Dashboard] => [d.uid, d]))('%s', (_uid, d) => {
  const queries = dashboardQueries(d);

  test('is live: refreshes every 5 s and shows time up to now', () => {
    expect(d.refresh).toBe('5s');
    expect(d.time.to).toBe('now');
    expect(d.time.from).toMatch(/^now-\d+[mhd]$/);
  });

  test('every datasource it names is provisioned, with the same type', () => {
    const refs = [...d.panels.map((p) => ({ label: `panel "${p.title}"`, datasource: p.datasource! })), ...queries];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref.datasource).toBeDefined();
      expect({ query: ref.label, type: datasourceOf(ref, datasources).type }).toEqual({ query: ref.label, type: ref.datasource.type });
    }
  });

  test('every variable used is defined before it is used, and every variable defined is used', () => {
    const defined = d.templating.list.map((v) => v.name);
    for (const q of queries) {
      // A variable's query may only use the variables before it: Grafana resolves them in order.
      const visible = q.variable ? defined.slice(0, defined.indexOf(q.variable.name)) : defined;
      for (const name of variablesUsed(q.text)) expect({ query: q.label, variable: name, defined: visible.includes(name) }).toEqual({ query: q.label, variable: name, defined: true });
    }
    const used = new Set(queries.flatMap((q) => variablesUsed(q.text)));
    expect(defined.filter((name) => !used.has(name))).toEqual([]);
  });

  test('panels: known types, unique ids, inside the 24-column grid, with queries; ClickHouse time series return a time column', () => {
    expect(d.panels.length).toBeGreaterThan(0);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) {
      expect({ panel: p.title, type: PANEL_TYPES.includes(p.type) }).toEqual({ panel: p.title, type: true });
      expect({ panel: p.title, fits: p.gridPos.x >= 0 && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24 && p.gridPos.h > 0 }).toEqual({ panel: p.title, fits: true });
      expect(p.targets?.length).toBeGreaterThan(0);
      expect(new Set(p.targets!.map((t) => t.refId)).size).toBe(p.targets!.length);
      for (const t of p.targets!.filter((x): x is ClickHouseTarget => !isPromTarget(x))) {
        // The plugin shapes frames by queryType and format together; a time series panel needs time series frames.
        expect({ panel: p.title, queryType: t.queryType, format: t.format }).toEqual(p.type === 'timeseries' ? { panel: p.title, queryType: 'timeseries', format: 0 } : { panel: p.title, queryType: 'table', format: 1 });
        if (t.queryType === 'timeseries') expect(t.rawSql).toMatch(/\bAS time\b[\s\S]*ORDER BY time\s*$/);
      }
    }
  });

  test('annotations are drawn on panels that exist and return time and text', () => {
    const ids = new Set(d.panels.map((p) => p.id));
    for (const a of d.annotations.list) {
      expect(a.filter?.ids.length).toBeGreaterThan(0);
      for (const id of a.filter!.ids) expect({ annotation: a.name, panel: id, exists: ids.has(id) }).toEqual({ annotation: a.name, panel: id, exists: true });
      expect(a.target.rawSql).toMatch(/\bAS time\b/);
      expect(a.target.rawSql).toMatch(/\bAS text\b/);
    }
  });

  test('every query expands for its default time range: no unknown variable, format or macro, none ClickHouse 18.16 lacks', () => {
    const range = dashboardRange(d, Date.parse('2026-11-27T12:00:00Z'));
    const variables: Record<string, VariableState> = Object.fromEntries(d.templating.list.map((v) => [v.name, { value: v.multi ? [ALL] : 'x', options: ['x', 'y'] }]));
    for (const q of queries) {
      for (const macro of MACROS_MISSING_IN_18_16) expect({ query: q.label, uses: q.text.includes(`$__${macro}`) }).toEqual({ query: q.label, uses: false });
      const text = q.language === 'sql' ? expandClickHouse(q, { range, variables, maxDataPoints: 1000 }) : expandPrometheus(q, { range, variables, maxDataPoints: 1000 }, datasourceOf(q, datasources)).expr;
      expect(text).not.toMatch(/\$/);
    }
  });
});
