import type { AlertDeliveryConfig } from '../../lib/config';

/** Where the local sinks must listen for the configured Alertmanager to reach them. */
export interface SinkAddresses {
  slack: { port: number; path: string };
  smtp: { port: number };
}

const LOCAL = new Set(['127.0.0.1', 'localhost']);

export function sinkAddresses(config: AlertDeliveryConfig): SinkAddresses {
  const url = new URL(config.slackWebhookUrl);
  const [smtpHost, smtpPort] = config.smtpSmarthost.split(':');
  if (!LOCAL.has(url.hostname)) throw new Error(`ALERT_SLACK_WEBHOOK_URL is ${url.origin}: the local Slack sink can only stand in for a 127.0.0.1 URL`);
  if (!LOCAL.has(smtpHost)) throw new Error(`ALERT_SMTP_SMARTHOST is ${config.smtpSmarthost}: the local SMTP sink can only stand in for 127.0.0.1`);
  return {
    slack: { port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), path: url.pathname },
    smtp: { port: Number(smtpPort) },
  };
}
