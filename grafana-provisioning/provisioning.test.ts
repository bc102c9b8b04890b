import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadEnv } from '../lib/config';
import { DASHBOARDS, dashboardText } from './dashboards/generator/generate';
import { DASHBOARD_DIR, loadDashboards, loadDatasources, PROVISIONING_DIR } from './targets';

/** How Grafana finds what is provisioned here, as compose/docker-compose.yml runs it. */

const REPO_ROOT = path.resolve(PROVISIONING_DIR, '..');
const COMPOSE_FILE = path.join(REPO_ROOT, 'compose', 'docker-compose.yml');
interface ComposeService { command?: string[]; volumes?: string[]; environment?: Record<string, string> }
const compose = parse(fs.readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const grafana = compose.services.grafana;

/** Where a path inside the Grafana container comes from on the host, through its bind mounts. */
function hostPath(containerPath: string): string | undefined {
  for (const volume of grafana.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (source.startsWith('.') && (containerPath === target || containerPath.startsWith(`${target}/`))) return path.join(path.resolve(path.dirname(COMPOSE_FILE), source), containerPath.slice(target.length));
  }
  return undefined;
}

test('the checked-in dashboard JSON is what the generator writes (edit dashboards/generator/, then `npm run dashboards`)', () => {
  const files = loadDashboards().map(({ file }) => path.basename(file, '.json'));
  expect(files.sort()).toEqual(Object.keys(DASHBOARDS).sort());
  for (const [name, build] of Object.entries(DASHBOARDS)) {
    expect({ file: `${name}.json`, text: fs.readFileSync(path.join(DASHBOARD_DIR, `${name}.json`), 'utf8') }).toEqual({ file: `${name}.json`, text: dashboardText(build()) });
  }
});

test("compose mounts this folder where Grafana reads provisioning, and the dashboard provider's path is the JSON folder", () => {
  expect(hostPath('/etc/grafana/provisioning')).toBe(PROVISIONING_DIR);
  const providers = (parse(fs.readFileSync(path.join(PROVISIONING_DIR, 'dashboards', 'dashboards.yml'), 'utf8')) as { providers: { type: string; options: { path: string } }[] }).providers;
  expect(providers).toHaveLength(1);
  expect(providers[0].type).toBe('file');
  expect(hostPath(providers[0].options.path)).toBe(DASHBOARD_DIR);
});

test('compose opens Grafana on the pipeline overview, viewable without a login', () => {
  const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
  expect(home && hostPath(home)).toBe(path.join(DASHBOARD_DIR, 'pipeline-overview.json'));
  expect(grafana.environment).toMatchObject({ GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer' });
});

test('compose installs the ClickHouse plugin the ClickHouse datasource needs', () => {
  const types = loadDatasources().map((d) => d.type);
  expect(types.sort()).toEqual(['grafana-clickhouse-datasource', 'prometheus']);
  expect(grafana.environment?.GF_INSTALL_PLUGINS?.split(',').map((p) => p.trim().split(/[ @]/)[0])).toContain('grafana-clickhouse-datasource');
});

test('the datasources point where compose runs Prometheus and the first ClickHouse server (host networking)', () => {
  const datasources = loadDatasources();
  const prometheus = datasources.find((d) => d.type === 'prometheus')!;
  expect(compose.services.prometheus.command).toContain(`--web.listen-address=${new URL(prometheus.url!).host}`);

  const ch = datasources.find((d) => d.type === 'grafana-clickhouse-datasource')!.jsonData!;
  expect(ch.protocol).toBe('native');
  const nodeConfig = compose.services['clickhouse-1'].volumes!.map((v) => v.split(':')[0]).find((s) => /node-\d+\.xml$/.test(s))!;
  const tcpPort = /<tcp_port>(\d+)<\/tcp_port>/.exec(fs.readFileSync(path.resolve(path.dirname(COMPOSE_FILE), nodeConfig), 'utf8'))?.[1];
  expect(`${ch.host}:${ch.port}`).toBe(`127.0.0.1:${tcpPort}`);
  expect(ch.defaultDatabase).toBe(loadEnv({}).CLICKHOUSE_DB);
});
