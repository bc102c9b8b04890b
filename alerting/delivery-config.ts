import { loadEnv, stackConfig, type AlertDeliveryConfig } from '../lib/config';

/**
 * alerting/alertmanager.yml is written with the local stack's delivery endpoints (the defaults of
 * ALERT_SLACK_WEBHOOK_URL, ALERT_SMTP_SMARTHOST, ALERT_EMAIL_FROM, ALERT_EMAIL_TO), so it is valid and
 * testable as is. Alertmanager expands no environment variables; this maps each default literal to the
 * configured value, for stack/render.ts to swap in.
 */

export const DEFAULT_DELIVERY: AlertDeliveryConfig = stackConfig(loadEnv({})).alerting;

export function deliveryOverrides(config: AlertDeliveryConfig): Map<string, string> {
  const map = new Map<string, string>();
  for (const key of Object.keys(DEFAULT_DELIVERY) as (keyof AlertDeliveryConfig)[]) {
    // Double-quoted, so a value YAML would read differently (a '#', a ': ') stays one string.
    if (config[key] !== DEFAULT_DELIVERY[key]) map.set(DEFAULT_DELIVERY[key], JSON.stringify(config[key]));
  }
  return map;
}
