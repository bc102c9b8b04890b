import type { AnomalyConfig } from '../../lib/config';
import { EWMA_DEFAULTS } from './charts';
import type { GlobalMonitorOptions } from './global-monitor';
import type { PartitionOwnerOptions } from './partition-owner';

/** The charts' settings, from the typed configuration (README, "Configuration"). */
export function monitorOptions(c: AnomalyConfig, partitions: number): { owner: PartitionOwnerOptions; leader: GlobalMonitorOptions } {
  const shared = { windowMs: c.windowMs, minBaselineWindows: c.minBaselineWindows, sellerFdr: c.sellerFdr };
  return {
    owner: { ...shared, latenessMs: c.latenessMs, shrinkageEvents: c.shrinkageEvents, forgetAfterMs: c.forgetAfterMs, topSellers: c.topSellers },
    leader: { ...shared, partitions, maxPendingWindows: c.maxPendingWindows, topSellers: c.topSellers, ewma: { lambda: c.ewmaLambda ?? EWMA_DEFAULTS.lambda, L: c.ewmaL ?? EWMA_DEFAULTS.L } },
  };
}
