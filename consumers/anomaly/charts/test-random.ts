// Test helper: seeded randomness, so simulations give the same numbers on every run.

// Local bindings: jest runs tests in a vm context, where each lookup of the global Math is slow.
const { imul, log, sqrt, sin, cos, PI } = Math;

/** mulberry32 (Tommy Ettinger's 32-bit generator): uniforms in [0, 1) from a seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = imul(a ^ (a >>> 15), 1 | a);
    t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normals by Box-Muller (Box & Muller 1958), both of each pair. */
export function normals(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    const r = sqrt(-2 * log(1 - uniform()));
    const theta = 2 * PI * uniform();
    spare = r * sin(theta);
    return r * cos(theta);
  };
}

/** Mean number of points until `signals` says so, over `runs` runs each started by `fresh`. */
export function averageRunLength<C>(runs: number, fresh: () => C, signals: (chart: C) => boolean): number {
  let points = 0;
  for (let r = 0; r < runs; r++) {
    const chart = fresh();
    do points += 1;
    while (!signals(chart));
  }
  return points / runs;
}
