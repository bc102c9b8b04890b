export type WeRule = 1 | 2 | 3 | 4;

// Rule 4 looks furthest back.
const HISTORY = 8;

/**
 * Western Electric zone rules (Western Electric Statistical Quality Control Handbook, 1956;
 * Montgomery, ISQC 7th ed., ch. 5) on standardized points z = (x - center)/sigma:
 * 1 one point beyond 3; 2 two of three beyond 2 on the same side; 3 four of five beyond 1 on the
 * same side; 4 eight in a row on the same side. Together their in-control ARL is about 91.75
 * (Champ & Woodall 1987, "Exact results for Shewhart control charts with supplementary runs
 * rules", Technometrics 29(4)), against 370.4 for rule 1 alone.
 *
 * After a signal the history is kept, not cleared (standard practice: the chart keeps plotting).
 * A rule fires at a point only if that point is one of the points making it up, so a past
 * excursion does not fire again on later ordinary points, while a shift that persists keeps
 * firing (rule 4 at the 9th, 10th... point of a run). The first firing is the same either way, so
 * the run lengths above are unchanged.
 */
export class WesternElectric {
  private readonly zs: number[] = [];

  /** Returns the rules that fire at this point (empty if none). */
  push(z: number): WeRule[] {
    if (Number.isNaN(z)) throw new RangeError('Western Electric rules need a number, got NaN');
    this.zs.push(z);
    if (this.zs.length > HISTORY) this.zs.shift();
    const side = Math.sign(z);
    const fired: WeRule[] = [];
    if (Math.abs(z) > 3) fired.push(1);
    if (side * z > 2 && this.beyond(3, 2, side) >= 2) fired.push(2);
    if (side * z > 1 && this.beyond(5, 1, side) >= 4) fired.push(3);
    if (this.beyond(HISTORY, 0, side) === HISTORY) fired.push(4);
    return fired;
  }

  reset(): void {
    this.zs.length = 0;
  }

  /** How many of the last `points` are beyond `limit` on `side` (+1 above, -1 below). */
  private beyond(points: number, limit: number, side: number): number {
    let count = 0;
    for (let i = Math.max(0, this.zs.length - points); i < this.zs.length; i++) if (side * this.zs[i] > limit) count += 1;
    return count;
  }
}
