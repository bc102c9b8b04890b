import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadEnv, stackConfig } from '../lib/config';
import { alertmanagerProcesses } from '../stack/components/monitoring';
import { instancePaths } from '../stack/layout';
import { renderValues } from '../stack/render';
import { eventually, testStack, uniqueName, type TestStack } from '../test/stack-env';
import { deliveryOverrides } from './delivery-config';
import { sinkAddresses } from './sinks/addresses';
import { SlackSink, slackText, type SlackPost } from './sinks/slack-sink';
import { SmtpSink, type ReceivedMail } from './sinks/smtp-sink';

/**
 * Alertmanager -> Slack and email, for real: the stack's Alertmanager with the repository's routing
 * delivers a posted alert to the local Slack-webhook and SMTP sinks within the group wait, and its
 * resolution after it. A private Alertmanager with the same file shows the inhibitions.
 */

const config = stackConfig(loadEnv());
const addresses = sinkAddresses(config.alerting);
const SHARED_FILE = path.join(__dirname, 'alertmanager.yml');

interface Route { group_wait?: string; group_interval?: string; matchers?: string[]; routes?: Route[]; receiver?: string }
const route = (parse(fs.readFileSync(SHARED_FILE, 'utf8'), { merge: true }) as { route: Route }).route;
const pageRoute = { ...route, ...route.routes?.find((r) => r.matchers?.includes('severity="page"')) };
const seconds = (d: string | undefined, fallback: number): number => {
  const m = /^(\d+)(s|m)$/.exec(d ?? '');
  return m ? Number(m[1]) * (m[2] === 'm' ? 60 : 1) : fallback;
};
const GROUP_WAIT_MS = seconds(pageRoute.group_wait, 30) * 1000;
const GROUP_INTERVAL_MS = seconds(pageRoute.group_interval, 300) * 1000;
// Dispatch, the webhook round trip and an SMTP conversation on this machine.
const DELIVERY_MS = 5000;

interface PostableAlert { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string }

const slack = new SlackSink();
const smtp = new SmtpSink();
let stack: TestStack;

async function postAlerts(alertmanager: string, alerts: PostableAlert[]): Promise<void> {
  const res = await fetch(`${alertmanager}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
  if (res.status !== 200) throw new Error(`POST ${alertmanager}/api/v2/alerts: ${res.status} ${await res.text()}`);
}

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

/** Our test alerts expire by themselves within two minutes even if the test dies half-way. */
function alert(labels: Record<string, string>, summary: string, run: string, startsAt = new Date().toISOString()): PostableAlert {
  return { labels: { ...labels, test_run: run }, annotations: { summary, runbook: `delivery test ${run}` }, startsAt, endsAt: inMinutes(2) };
}

/** The stack's Alertmanager must run the current alertmanager.yml: render it again and reload when it does not. */
async function ensureCurrentConfig(alertmanager: string): Promise<void> {
  const [spec] = alertmanagerProcesses(stack.layout);
  const renderedFile = path.join(instancePaths(stack.layout, spec.name).conf, 'alertmanager.yml');
  const expected = renderValues(fs.readFileSync(SHARED_FILE, 'utf8'), deliveryOverrides(config.alerting));
  const loaded = async () => {
    const status = (await (await fetch(`${alertmanager}/api/v2/status`)).json()) as { config: { original: string } };
    const running = parse(status.config.original) as { global: { smtp_smarthost?: string }; receivers: { name: string }[]; inhibit_rules?: unknown[] };
    const wanted = parse(expected, { merge: true }) as typeof running;
    return (
      running.global.smtp_smarthost === config.alerting.smtpSmarthost &&
      JSON.stringify(running.receivers.map((r) => r.name).sort()) === JSON.stringify(wanted.receivers.map((r) => r.name).sort()) &&
      (running.inhibit_rules ?? []).length === (wanted.inhibit_rules ?? []).length
    );
  };
  const onDisk = fs.existsSync(renderedFile) ? fs.readFileSync(renderedFile, 'utf8') : '';
  if (onDisk === expected && (await loaded())) return;
  await spec.prepare();
  const res = await fetch(`${alertmanager}/-/reload`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`Alertmanager refused the rendered ${renderedFile}: ${res.status} ${await res.text()}`);
  if (!(await loaded())) throw new Error(`Alertmanager at ${alertmanager} still runs another configuration after a reload of ${renderedFile}`);
}

beforeAll(async () => {
  stack = await testStack();
  // No skipping: a taken port fails here with the sink's name and the port.
  await slack.start(addresses.slack.port);
  await smtp.start(addresses.smtp.port);
});

afterAll(async () => {
  await slack.stop();
  await smtp.stop();
});

/** Notifications that report one of this run's alerts in that status (each alert is a "STATUS: summary" line, then its runbook). */
const withRun = (run: string) => {
  const line = (status: string) => new RegExp(`^${status}: .*\nRunbook: delivery test ${run}$`, 'm');
  return {
    slack: (status: 'FIRING' | 'RESOLVED') => slack.received().filter((p) => line(status).test(slackText(p))),
    mail: (status: 'FIRING' | 'RESOLVED') => smtp.received().filter((m) => line(status).test(m.text)),
  };
};

describe('the stack Alertmanager', () => {
  const run = uniqueName('delivery');
  const labels = { alertname: 'FailureRateBreach', chart: 'failure_rate', dimension: 'origin=xlsx-import', severity: 'page', rule: '1' };
  const summary = 'failure_rate for origin=xlsx-import is 0.31 (UCL 0.05, rule 1)';
  // Set when posting: Alertmanager flushes a new group at once when startsAt is older than the group wait.
  let startsAt = new Date().toISOString();
  let alertmanager: string;
  /** Set once the resolutions arrived: the group is then empty. */
  let resolvedSent = false;
  // Alertmanager drops an emptied aggregation group at its next maintenance pass (every 30 s); until then
  // a new alert with the same group labels joins the old group and waits a group interval, not the group
  // wait. A run right after another waits that out; the file says until when the last run's group may live.
  const groupGone = () => path.join(instancePaths(stack.layout, stack.layout.alertmanager.name).root, 'delivery-test.group-gone-at');
  const MAINTENANCE_MS = 30_000;

  beforeAll(async () => {
    alertmanager = stack.status.components.alertmanager.url;
    await ensureCurrentConfig(alertmanager);
    const wait = fs.existsSync(groupGone()) ? Number(fs.readFileSync(groupGone(), 'utf8')) - Date.now() : 0;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }, GROUP_INTERVAL_MS + MAINTENANCE_MS + 2 * DELIVERY_MS + 10_000);

  afterAll(async () => {
    if (!alertmanager) return;
    // Resolve what a failed assertion left firing; its resolution then goes out at the next group interval.
    if (!resolvedSent) await postAlerts(alertmanager, [{ ...alert(labels, summary, run, startsAt), endsAt: new Date(Date.now() - 1000).toISOString() }]);
    fs.writeFileSync(groupGone(), String(Date.now() + (resolvedSent ? 0 : GROUP_INTERVAL_MS) + MAINTENANCE_MS + DELIVERY_MS));
  });

  test('pages on Slack and by email within the group wait, then tells both it resolved', async () => {
    const sent = Date.now();
    startsAt = new Date(sent).toISOString();
    await postAlerts(alertmanager, [alert(labels, summary, run, startsAt)]);
    const of = withRun(run);

    const [post, mail] = await Promise.all([
      eventually('the Slack page', async () => of.slack('FIRING')[0], GROUP_WAIT_MS + DELIVERY_MS),
      eventually('the email page', async () => of.mail('FIRING')[0], GROUP_WAIT_MS + DELIVERY_MS),
    ]);
    for (const text of [slackText(post), mail.text]) {
      expect(text).toContain('failure_rate');
      expect(text).toContain('origin=xlsx-import');
      expect(text).toContain('0.31');
      expect(text).toContain(summary);
    }
    expect(post.path).toBe(addresses.slack.path);
    expect(slackText(post)).toMatch(/^\[FIRING:1\] FailureRateBreach \(page\)/);
    expect(mail.subject).toBe('[FIRING] FailureRateBreach failure_rate origin=xlsx-import (page)');
    expect(mail.from).toBe(config.alerting.emailFrom);
    expect(mail.to).toEqual(config.alerting.emailTo.split(',').map((a) => a.trim()));
    // Group wait is the floor: Alertmanager holds the first notification of a new group that long.
    expect(Math.min(post.receivedAt.getTime(), mail.receivedAt.getTime()) - sent).toBeGreaterThanOrEqual(GROUP_WAIT_MS - 1000);

    await postAlerts(alertmanager, [{ ...alert(labels, summary, run, startsAt), endsAt: new Date(Date.now() - 1000).toISOString() }]);
    // The resolution goes out at the group's next flush, one group interval after the page.
    const [resolvedPost, resolvedMail] = await Promise.all([
      eventually('the Slack resolution', async () => of.slack('RESOLVED')[0], GROUP_INTERVAL_MS + DELIVERY_MS),
      eventually('the email resolution', async () => of.mail('RESOLVED')[0], GROUP_INTERVAL_MS + DELIVERY_MS),
    ]);
    expect(slackText(resolvedPost)).toMatch(/^\[RESOLVED\] FailureRateBreach \(page\)/);
    expect(slackText(resolvedPost)).toContain(`RESOLVED: ${summary}`);
    expect(resolvedMail.subject).toBe('[RESOLVED] FailureRateBreach failure_rate origin=xlsx-import (page)');
    expect(resolvedMail.text).toContain(`RESOLVED: ${summary}`);
    resolvedSent = true;
  }, GROUP_WAIT_MS + GROUP_INTERVAL_MS + 4 * DELIVERY_MS + 10_000);
});

/**
 * Inhibitions silence whole alert names for everyone on an Alertmanager, so they are shown on a
 * private one (same file, same sinks, a free port) rather than on the stack's, where other tests'
 * alerts would be held back too.
 */
describe('a private Alertmanager with the same file', () => {
  let child: ChildProcess | undefined;
  let dir: string;
  let alertmanager: string;

  beforeAll(async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alertmanager-inhibit-'));
    fs.writeFileSync(path.join(dir, 'alertmanager.yml'), renderValues(fs.readFileSync(SHARED_FILE, 'utf8'), deliveryOverrides(config.alerting)));
    const log = fs.openSync(path.join(dir, 'alertmanager.log'), 'w');
    child = spawn(
      '/usr/bin/prometheus-alertmanager',
      [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
      { stdio: ['ignore', log, log] },
    );
    alertmanager = `http://127.0.0.1:${port}`;
    await eventually('the private Alertmanager to be ready', async () => ((await fetch(`${alertmanager}/-/ready`)).ok ? true : undefined), 20_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${fs.readFileSync(path.join(dir, 'alertmanager.log'), 'utf8')}`);
    });
  });

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** State of each alert of the run ('active' or 'suppressed'), once Alertmanager has processed all `count`. */
  async function inhibitionStates(run: string, count: number): Promise<Record<string, string>> {
    interface Listed { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }
    return eventually(
      'the inhibitions to apply',
      async () => {
        const res = await fetch(`${alertmanager}/api/v2/alerts?filter=${encodeURIComponent(`test_run="${run}"`)}`);
        const listed = (await res.json()) as Listed[];
        const byKey = Object.fromEntries(listed.map((a) => [`${a.labels.alertname} ${a.labels.chart ?? ''} ${a.labels.dimension ?? ''} ${a.labels.rule ?? ''}`.replace(/ +/g, ' ').trim(), a.status.state]));
        return listed.length === count && !Object.values(byKey).includes('unprocessed') ? byKey : undefined;
      },
      15_000,
    );
  }

  test('an error storm holds back origin, country and seller failure alerts; a page holds back its tickets', async () => {
    const run = uniqueName('inhibit');
    const storm = { alertname: 'ErrorStorm', chart: 'failure_rate', dimension: 'global', rule: '1', severity: 'page' };
    const origin = { alertname: 'FailureRateBreach', chart: 'failure_rate', dimension: 'origin=ui', rule: '1', severity: 'page' };
    const country = { alertname: 'FailureRateBreach', chart: 'failure_rate', dimension: 'country=RU', rule: '1', severity: 'page' };
    const sellers = { alertname: 'SellerAnomalies', chart: 'seller_failure_rate', severity: 'page' };
    const latencyPage = { alertname: 'LatencyBreach', chart: 'latency_p95', dimension: 'country=RU', rule: '1', severity: 'page' };
    const latencyTicket = { alertname: 'LatencyBreach', chart: 'latency_p95', dimension: 'country=RU', rule: '2', severity: 'ticket' };
    const silentVolume = { alertname: 'SellerAnomalies', chart: 'seller_volume', severity: 'ticket' };
    await postAlerts(alertmanager, [
      alert(storm, 'error storm: failure_rate for global is 0.2 (UCL 0.035, rule 1)', run),
      alert(origin, 'failure_rate for origin=ui is 0.25 (UCL 0.04, rule 1)', run),
      alert(country, 'failure_rate for country=RU is 0.22 (UCL 0.05, rule 1)', run),
      alert(sellers, 'seller_failure_rate: 2 sellers in breach: seller=42 (0.31) seller=7 (0.2)', run),
      alert(latencyPage, 'latency_p95 for country=RU is 2513 ms (UCL 1800 ms, LCL 200 ms, rule 1)', run),
      alert(latencyTicket, 'latency_p95 for country=RU is 2513 ms (UCL 1800 ms, LCL 200 ms, rule 2)', run),
      alert(silentVolume, 'seller_volume: 1 sellers in breach: seller=5 (1.28e+04)', run),
    ]);

    expect(await inhibitionStates(run, 7)).toEqual({
      'ErrorStorm failure_rate global 1': 'active',
      'FailureRateBreach failure_rate origin=ui 1': 'suppressed',
      'FailureRateBreach failure_rate country=RU 1': 'suppressed',
      'SellerAnomalies seller_failure_rate': 'suppressed',
      'LatencyBreach latency_p95 country=RU 1': 'active',
      'LatencyBreach latency_p95 country=RU 2': 'suppressed',
      'SellerAnomalies seller_volume': 'active',
    });

    // Notifications follow: the storm and the latency page arrive, the held-back alerts never do.
    const of = withRun(run);
    const arrived = await eventually(
      'the storm and latency pages',
      async () => {
        const texts = of.slack('FIRING').map(slackText);
        const got = (s: string) => texts.some((t) => t.includes(s));
        return got('ErrorStorm') && got('LatencyBreach') ? texts : undefined;
      },
      GROUP_WAIT_MS + DELIVERY_MS,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const all = [...arrived, ...of.slack('FIRING').map(slackText), ...of.mail('FIRING').map((m: ReceivedMail) => m.text)].join('\n');
    expect(all).not.toContain('FailureRateBreach');
    expect(all).not.toContain('seller_failure_rate');
    expect(all).not.toContain('rule 2)');
    // Only pages are emailed.
    expect(of.mail('FIRING').map((m) => m.subject).sort()).toEqual(['[FIRING] ErrorStorm failure_rate global (page)', '[FIRING] LatencyBreach latency_p95 country=RU (page)']);
    const posts: SlackPost[] = of.slack('FIRING');
    expect(posts.every((p) => p.path === addresses.slack.path)).toBe(true);
  });

  test('a platform-wide traffic drop holds back the seller volume and silence alerts, not the others', async () => {
    const run = uniqueName('inhibit-drop');
    const drop = alert({ alertname: 'TrafficDrop', severity: 'page' }, 'traffic drop: events come in at 12% of the rate at this time a week ago (120 events/s against 1000)', run);
    await postAlerts(alertmanager, [
      drop,
      alert({ alertname: 'SellerAnomalies', chart: 'seller_silent', severity: 'page' }, 'seller_silent: 4210 sellers in breach: seller=1 (12)', run),
      alert({ alertname: 'SellerAnomalies', chart: 'seller_volume', severity: 'page' }, 'seller_volume: 310 sellers in breach: seller=2 (3)', run),
      alert({ alertname: 'LatencyBreach', chart: 'latency_p95', dimension: 'country=KZ', rule: '1', severity: 'page' }, 'latency_p95 for country=KZ is 2600 ms (UCL 1800 ms, LCL 200 ms, rule 1)', run),
    ]);
    expect(await inhibitionStates(run, 4)).toEqual({
      TrafficDrop: 'active',
      'SellerAnomalies seller_silent': 'suppressed',
      'SellerAnomalies seller_volume': 'suppressed',
      'LatencyBreach latency_p95 country=KZ 1': 'active',
    });
    // Resolved: it would hold back any later test's seller alerts in this Alertmanager.
    await postAlerts(alertmanager, [{ ...drop, endsAt: new Date().toISOString() }]);
  });

});
