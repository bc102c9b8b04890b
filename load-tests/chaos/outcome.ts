import type { Marker } from '../harness/freshness';
import type { Answer } from '../scenarios/runner';
import { recoverySeconds } from '../scenarios/spike';
import { distribution } from '../harness/stats';

/**
 * What a fault did to the requests and events of a run, from the gateway's answers and what
 * ClickHouse holds per request (every event's attempt_id names its request, see
 * harness/event-bodies.ts). A request is all-or-nothing: its events are all stored or none.
 */

export interface StoredCounts {
  /** Distinct events (event_key) stored, by request seq. */
  byRequest: ReadonlyMap<number, number>;
  /** Rows as stored now: copies the Kafka engine delivered twice count until a merge removes them. */
  rows: number;
  /** Rows as queries see them with FINAL (ReplacingMergeTree's deduplicated view). */
  rowsFinal: number;
  distinct: number;
}

export interface EventOutcome {
  requests: { sent: number; accepted: number; refused: Record<string, number>; unanswered: number; refusedWithoutRetryAfter: number };
  events: {
    accepted: number;
    stored: number;
    /** Events of accepted requests that are not stored. */
    lost: number;
    /** Requests with some but not all of their events stored. */
    partialRequests: number;
    /** Refused or unanswered requests whose events were stored anyway (a send that completed after its answer). */
    storedWithoutAcceptance: number;
    /** Extra rows a FINAL query sees: must be 0. */
    duplicatesFinal: number;
    /** Extra rows before merges: redelivered blocks that ReplacingMergeTree will collapse. */
    duplicateRowsBeforeMerge: number;
  };
}

export function eventOutcome(sent: number, batch: number, answers: ReadonlyMap<number, Answer>, stored: StoredCounts): EventOutcome {
  const refused: Record<string, number> = {};
  let accepted = 0;
  let lost = 0;
  let partialRequests = 0;
  let storedWithoutAcceptance = 0;
  let refusedWithoutRetryAfter = 0;
  for (let seq = 0; seq < sent; seq++) {
    const answer = answers.get(seq);
    const n = stored.byRequest.get(seq) ?? 0;
    if (n !== 0 && n !== batch) partialRequests++;
    if (answer?.status === 202) {
      accepted++;
      lost += batch - n;
    } else {
      if (answer) refused[answer.status] = (refused[answer.status] ?? 0) + 1;
      if (answer?.status === 503 && answer.retryAfter === undefined) refusedWithoutRetryAfter++;
      if (n === batch) storedWithoutAcceptance++;
    }
  }
  return {
    requests: { sent, accepted, refused, unanswered: sent - answers.size, refusedWithoutRetryAfter },
    events: {
      accepted: accepted * batch,
      stored: stored.distinct,
      lost,
      partialRequests,
      storedWithoutAcceptance,
      duplicatesFinal: stored.rowsFinal - stored.distinct,
      duplicateRowsBeforeMerge: stored.rows - stored.distinct,
    },
  };
}

export interface Recovery {
  /** Seconds from the fault until freshness was back at or under `thresholdMs` for good; 0: never above it; null: not by the end. */
  freshnessSeconds: number | null;
  thresholdMs: number;
  worstMs: number | undefined;
  /** Seconds from the heal (the component healthy again) to the first accepted request after it; undefined when none was refused. */
  acceptingAgainSeconds: number | undefined;
}

/**
 * Recovery after a fault at `faultAt`, healed at `healedAt`. Freshness is judged on markers of accepted
 * requests only, against the worse of the service level (5 s) and the 95th percentile of markers
 * that arrived before the fault (the cluster topology on two shared cores is slower than the service level even unharmed).
 */
export function recoveryOf(markers: readonly Marker[], answers: ReadonlyMap<number, Answer>, faultAt: number, healedAt: number, serviceLevelMs = 5000): Recovery {
  const lagOf = (m: Marker) => (m.seenAtMs === undefined ? Number.POSITIVE_INFINITY : m.seenAtMs - m.sentAtMs);
  const meant = markers.filter((m) => !m.refused);
  // The baseline is what arrived before the fault: a marker still in flight when it struck belongs to the fault.
  const before = meant.filter((m) => m.seenAtMs !== undefined && m.seenAtMs < faultAt).map(lagOf);
  const thresholdMs = Math.max(serviceLevelMs, distribution(before).p95 ?? 0);
  const after = meant.filter((m) => m.seenAtMs === undefined || m.seenAtMs >= faultAt);
  const refusedAny = [...answers.values()].some((a) => a.status !== 202);
  const firstAccepted = [...answers.values()].filter((a) => a.at >= healedAt && a.status === 202).map((a) => a.at);
  return {
    freshnessSeconds: recoverySeconds(after.map((m) => ({ at: m.sentAtMs, value: lagOf(m) })), faultAt, thresholdMs),
    thresholdMs,
    worstMs: after.length > 0 ? Math.max(...after.map(lagOf)) : undefined,
    acceptingAgainSeconds: refusedAny && firstAccepted.length > 0 ? (Math.min(...firstAccepted) - healedAt) / 1000 : undefined,
  };
}
