import fs from 'node:fs';
import path from 'node:path';
import { loadEnv, REPO_ROOT, stackConfig } from '../lib/config';
import { renderValues } from '../stack/render';
import { deliveryOverrides } from './delivery-config';

/**
 * Writes alerting/alertmanager.yml with the ALERT_* delivery settings swapped in, for a deployment that
 * mounts the rendered copy over the shared file (README, "Alerting"):
 *   ALERT_SLACK_WEBHOOK_URL=... npx tsx alerting/render-alertmanager.ts /etc/upload-pulse/alertmanager.yml
 * The file holds the Slack webhook URL, a secret: it is written readable by its owner only.
 */

function main(): void {
  const out = process.argv[2];
  if (!out) throw new Error('usage: npx tsx alerting/render-alertmanager.ts <output file>');
  const text = fs.readFileSync(path.join(REPO_ROOT, 'alerting', 'alertmanager.yml'), 'utf8');
  fs.writeFileSync(out, renderValues(text, deliveryOverrides(stackConfig(loadEnv()).alerting)), { mode: 0o600 });
  fs.chmodSync(out, 0o600);
  process.stdout.write(`${out}\n`);
}

main();
