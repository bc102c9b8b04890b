/**
 * Benjamini-Hochberg step-up procedure (Benjamini & Hochberg 1995, "Controlling the false discovery
 * rate", JRSS B 57(1)) at level q over m tests in total: with p-values sorted, reject the i
 * smallest for the largest i with p_(i) <= i*q/m. Only the candidates need be passed in, typically
 * every test with p <= q: a test left out must have a larger p than every candidate, so that the
 * candidates' ranks are their ranks among all m; and with p > q >= i*q/m it could never be
 * rejected itself. Returns the candidates rejected (discoveries), in input order.
 * m >= candidates.length.
 */
export function benjaminiHochberg<T extends { p: number }>(candidates: readonly T[], m: number, q: number): T[] {
  if (!Number.isInteger(m) || m < candidates.length || !(q > 0 && q < 1)) {
    throw new RangeError(`Benjamini-Hochberg needs integer m >= ${candidates.length} candidates and 0 < q < 1, got m ${m}, q ${q}`);
  }
  if (candidates.some((c) => !(c.p >= 0 && c.p <= 1))) throw new RangeError('Benjamini-Hochberg needs p-values in [0, 1]');
  const sorted = candidates.map((c) => c.p).sort((a, b) => a - b);
  // Step-up: the largest p-value under its own threshold; every smaller one is rejected with it.
  let cutoff = -1;
  sorted.forEach((p, i) => {
    if (p <= ((i + 1) * q) / m) cutoff = p;
  });
  return candidates.filter((c) => c.p <= cutoff);
}
