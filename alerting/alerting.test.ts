import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { renderValues } from '../stack/render';
import { DEFAULT_DELIVERY, deliveryOverrides } from './delivery-config';

/**
 * The alerting configuration as Prometheus and Alertmanager themselves read it: Debian's promtool and
 * amtool (installed by `npm run stack:install`) check the files and run the rule unit tests in
 * alerting/tests/. A failure shows the tool's own output.
 */

const DIR = __dirname;
const PROMTOOL = '/usr/bin/promtool';
const AMTOOL = '/usr/bin/amtool';

function run(tool: string, args: string[]): string {
  if (!fs.existsSync(tool)) throw new Error(`${tool} is missing: run \`npm run stack:install\` (Debian packages prometheus and prometheus-alertmanager)`);
  const r = spawnSync(tool, args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${path.basename(tool)} ${args.join(' ')} exited with ${r.status}:\n${output}`);
  return output;
}

const ruleFiles = fs.readdirSync(path.join(DIR, 'rules')).filter((f) => f.endsWith('.yml')).map((f) => path.join('rules', f));
const testFiles = fs.readdirSync(path.join(DIR, 'tests')).filter((f) => f.endsWith('.yml')).map((f) => path.join('tests', f));

interface Rule { alert?: string; record?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleTest { alert_rule_test?: { alertname: string; exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[] }[] }

const read = <T>(file: string): T => parse(fs.readFileSync(path.join(DIR, file), 'utf8'), { merge: true }) as T;
const alertingRules = ruleFiles.flatMap((f) => read<{ groups: { rules: Rule[] }[] }>(f).groups.flatMap((g) => g.rules)).filter((r) => r.alert);
const ruleTests = testFiles.flatMap((f) => read<{ tests: RuleTest[] }>(f).tests.flatMap((t) => t.alert_rule_test ?? []));

test('promtool accepts prometheus.yml and every rule file', () => {
  expect(run(PROMTOOL, ['check', 'config', 'prometheus.yml'])).toContain('SUCCESS');
  expect(run(PROMTOOL, ['check', 'rules', ...ruleFiles])).not.toContain('FAILED');
});

test('the rule unit tests pass', () => {
  expect(testFiles.length).toBeGreaterThan(0);
  expect(run(PROMTOOL, ['test', 'rules', ...testFiles])).toContain('SUCCESS');
});

test('every alert is tested firing and not firing; firing ones carry severity, summary and runbook', () => {
  const names = [...new Set(alertingRules.map((r) => r.alert!))];
  for (const name of names) {
    const cases = ruleTests.filter((t) => t.alertname === name);
    expect({ alert: name, testedFiring: cases.some((t) => (t.exp_alerts ?? []).length > 0) }).toEqual({ alert: name, testedFiring: true });
    expect({ alert: name, testedSilent: cases.some((t) => (t.exp_alerts ?? []).length === 0) }).toEqual({ alert: name, testedSilent: true });
    for (const a of cases.flatMap((t) => t.exp_alerts ?? [])) {
      expect({ alert: name, severity: ['page', 'ticket'].includes(a.exp_labels?.severity ?? '') }).toEqual({ alert: name, severity: true });
      expect({ alert: name, annotations: Object.keys(a.exp_annotations ?? {}).sort() }).toEqual({ alert: name, annotations: ['runbook', 'summary'] });
    }
  }
  for (const r of alertingRules) expect({ alert: r.alert, annotations: Object.keys(r.annotations ?? {}).sort() }).toEqual({ alert: r.alert, annotations: ['runbook', 'summary'] });
});

test('amtool accepts alertmanager.yml: pages go to Slack and email, tickets to Slack', () => {
  expect(run(AMTOOL, ['check-config', 'alertmanager.yml'])).toContain('SUCCESS');
  // --verify.receivers makes amtool exit non-zero when the route ends elsewhere.
  const routes = (receiver: string, labels: string[]) => run(AMTOOL, ['config', 'routes', 'test', '--config.file=alertmanager.yml', `--verify.receivers=${receiver}`, ...labels]);
  routes('slack-and-email', ['alertname=FailureRateBreach', 'severity=page', 'chart=failure_rate', 'dimension=origin=xlsx-import']);
  routes('slack', ['alertname=DLQGrowing', 'severity=ticket']);
  routes('slack', ['alertname=SomethingNew']);
});

test('delivery settings render into a copy amtool accepts', () => {
  const text = fs.readFileSync(path.join(DIR, 'alertmanager.yml'), 'utf8');
  const configured = {
    slackWebhookUrl: 'https://hooks.slack.example/services/T0/B0/x#y',
    smtpSmarthost: 'smtp.example.com:587',
    emailFrom: 'alerts@example.com',
    emailTo: 'sre@example.com, oncall@example.com',
  };
  const rendered = renderValues(text, deliveryOverrides(configured));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alertmanager-'));
  try {
    const file = path.join(dir, 'alertmanager.yml');
    fs.writeFileSync(file, rendered);
    run(AMTOOL, ['check-config', file]);
    const doc = parse(rendered, { merge: true }) as { global: Record<string, string>; receivers: { name: string; email_configs?: { to: string }[] }[] };
    expect(doc.global).toMatchObject({ slack_api_url: configured.slackWebhookUrl, smtp_smarthost: configured.smtpSmarthost, smtp_from: configured.emailFrom });
    expect(doc.receivers.find((r) => r.name === 'slack-and-email')?.email_configs?.[0].to).toBe(configured.emailTo);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Defaults render to the file unchanged.
  expect(renderValues(text, deliveryOverrides(DEFAULT_DELIVERY))).toBe(text);
  // A default no longer in the file fails instead of leaving the local sink in place.
  expect(() => renderValues(text.replace(DEFAULT_DELIVERY.slackWebhookUrl, 'http://elsewhere'), deliveryOverrides(configured))).toThrow(/does not occur/);
});
