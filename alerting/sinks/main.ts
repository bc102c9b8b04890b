import { loadEnv, stackConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { onShutdown } from '../../lib/shutdown';
import { sinkAddresses } from './addresses';
import { SlackSink, slackText } from './slack-sink';
import { SmtpSink } from './smtp-sink';

/**
 * Runs both delivery sinks where the local stack's Alertmanager sends (ALERT_SLACK_WEBHOOK_URL,
 * ALERT_SMTP_SMARTHOST) and logs every notification as a JSON line: `npx tsx alerting/sinks/main.ts`.
 */

async function main(): Promise<void> {
  const log = createLogger('alert-sinks');
  const addresses = sinkAddresses(stackConfig(loadEnv()).alerting);
  const slack = new SlackSink((post) => log.info({ sink: 'slack', path: post.path, text: slackText(post) }, 'slack message'));
  const smtp = new SmtpSink((mail) => log.info({ sink: 'smtp', to: mail.to, subject: mail.subject, text: mail.text }, 'email'));
  await slack.start(addresses.slack.port);
  await smtp.start(addresses.smtp.port);
  log.info({ slack: `http://127.0.0.1:${addresses.slack.port}${addresses.slack.path}`, smtp: `127.0.0.1:${addresses.smtp.port}` }, 'alert sinks listening');
  onShutdown(log, async () => {
    await slack.stop();
    await smtp.stop();
  });
}

main().catch((err: unknown) => {
  createLogger('alert-sinks').fatal({ err }, 'alert sinks failed to start');
  process.exit(1);
});
