import fs from 'node:fs';
import path from 'node:path';
import type { Dashboard } from '../../dashboard-model';
import { createLogger } from '../../../lib/logger';
import { controlCharts } from './control-charts';
import { pipelineOverview } from './pipeline-overview';
import { sellerDrilldown } from './seller-drilldown';

/**
 * Writes the provisioned dashboards (../json/<name>.json) from their TypeScript definitions:
 * `npm run dashboards`. The JSON is checked in (Grafana reads it, compose mounts it); a unit test
 * fails when it differs from what this generates, so edit the definitions and run this.
 */

export const JSON_DIR = path.join(__dirname, '..', 'json');

export const DASHBOARDS: Record<string, () => Dashboard> = {
  'pipeline-overview': pipelineOverview,
  'control-charts': controlCharts,
  'seller-drilldown': sellerDrilldown,
};

/** The file's exact text: stable key order and a final newline, so diffs stay readable. */
export const dashboardText = (d: Dashboard): string => `${JSON.stringify(d, null, 2)}\n`;

if (require.main === module) {
  const log = createLogger('dashboards');
  for (const [name, build] of Object.entries(DASHBOARDS)) {
    const file = path.join(JSON_DIR, `${name}.json`);
    fs.writeFileSync(file, dashboardText(build()));
    log.info({ file: path.relative(process.cwd(), file) }, 'dashboard written');
  }
}
