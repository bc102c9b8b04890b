import { type Discrete, type Rng, weightedChoice, zipf } from './random';

/**
 * The seller population: Zipf-ranked volume, a home country, preferred origins, and the item ids
 * each seller owns. Seller (company) ids start just below 2^53, so ranks above 992 cross it and
 * consumers that parse ids as JS numbers visibly break.
 */

export const SELLER_ID_BASE = 9_007_199_254_740_000n;
export const MAX_SELLERS = 1 << 22;

export const sellerIdForRank = (rank: number): bigint => SELLER_ID_BASE + BigInt(rank);

/** Rank of `id` in a population of `count` sellers, or undefined if it is not one of them. */
export function rankOfSellerId(id: bigint, count: number): number | undefined {
  const rank = id - SELLER_ID_BASE;
  return rank >= 1n && rank <= BigInt(count) ? Number(rank) : undefined;
}

export interface Seller {
  /** 1 = largest. */
  readonly rank: number;
  readonly companyId: bigint;
  readonly companyIdText: string;
  /** Expected share of attempts (Zipf probability of its rank). */
  readonly share: number;
  readonly homeCountry: string;
  /** Index into the origin list for each attempt: mostly one primary origin. */
  readonly origins: Discrete;
  /** Item k (0-based) of this seller has id itemIdBase + k + 1. */
  readonly itemIdBase: bigint;
  /** Items created so far (including a pre-existing catalogue that updates can touch). */
  catalogSize: number;
}

export interface Population {
  readonly sellers: readonly Seller[];
  /** Seller index (rank - 1) for an attempt. */
  readonly pick: Discrete;
}

export interface PopulationOptions {
  sellers: number;
  zipfExponent: number;
  countries: readonly string[];
  countryWeights: readonly number[];
  originWeights: readonly number[];
}

// A seller sends most attempts through its primary origin and spreads the rest like the whole
// marketplace; primaries are assigned by volume, so the aggregate mix stays the configured one.
const PRIMARY_ORIGIN_SHARE = 0.75;
const ITEM_PREFIX_BITS = 22; // 22 prefix bits + 41 item bits = 63: ids stay positive int64
const ITEM_BITS = 41n;
// Items each seller already has when the run starts (so UPDATE attempts have something to touch).
const CATALOG_MIN = 20;
const CATALOG_PER_SHARE = 1_000_000;

export function buildPopulation(rng: Rng, o: PopulationOptions): Population {
  if (!(Number.isInteger(o.sellers) && o.sellers >= 1 && o.sellers <= MAX_SELLERS)) {
    throw new RangeError(`sellers must be an integer from 1 to ${MAX_SELLERS}, got ${o.sellers}`);
  }
  const pick = zipf(o.sellers, o.zipfExponent);
  const shares = pick.probabilities;
  const home = assignByDeficit(rng, o.countryWeights, shares);
  const primary = assignByDeficit(rng, o.originWeights, shares);
  const originSpread = weightedChoice(o.originWeights).probabilities;
  const salt = Math.floor(rng() * MAX_SELLERS);
  const sellers: Seller[] = [];
  for (let i = 0; i < o.sellers; i++) {
    const rank = i + 1;
    const weights = Array.from(originSpread, (p) => p * (1 - PRIMARY_ORIGIN_SHARE));
    weights[primary[i]] += PRIMARY_ORIGIN_SHARE;
    // Multiplying by an odd constant is a bijection mod 2^22, so every seller gets its own prefix.
    const prefix = (Math.imul(rank, 0x9e3779b1) ^ salt) & ((1 << ITEM_PREFIX_BITS) - 1);
    const companyId = sellerIdForRank(rank);
    sellers.push({
      rank,
      companyId,
      companyIdText: companyId.toString(),
      share: shares[i],
      homeCountry: o.countries[home[i]],
      origins: weightedChoice(weights),
      itemIdBase: BigInt(prefix) << ITEM_BITS,
      catalogSize: CATALOG_MIN + Math.round(shares[i] * CATALOG_PER_SHARE),
    });
  }
  return { sellers, pick };
}

/**
 * Gives each seller (largest first) one category so that the volume-weighted mix matches the
 * target weights: a naive independent draw would let the top seller (~16% of volume at Zipf 1.1)
 * swing the whole marketplace's country or origin mix. Among the categories the seller still fits
 * into, the draw is proportional to the remaining deficit; if none fits, the largest deficit wins.
 */
function assignByDeficit(rng: Rng, targetWeights: readonly number[], shares: Float64Array): Uint32Array {
  const target = weightedChoice(targetWeights).probabilities;
  const deficit = Float64Array.from(target);
  const out = new Uint32Array(shares.length);
  for (let i = 0; i < shares.length; i++) {
    const share = shares[i];
    let fitting = 0;
    let largest = 0;
    for (let c = 0; c < deficit.length; c++) {
      if (deficit[c] >= share) fitting += deficit[c];
      if (deficit[c] > deficit[largest]) largest = c;
    }
    let chosen = largest;
    if (fitting > 0) {
      let u = rng() * fitting;
      for (let c = 0; c < deficit.length; c++) {
        if (deficit[c] < share) continue;
        chosen = c;
        u -= deficit[c];
        if (u < 0) break;
      }
    }
    deficit[chosen] -= share;
    out[i] = chosen;
  }
  return out;
}
