// The few jstat 1.9 functions the charts use (the package ships no types).
declare module 'jstat' {
  export const jStat: {
    /** Regularized incomplete beta I_x(a, b). */
    ibeta(x: number, a: number, b: number): number;
    /** Regularized lower incomplete gamma P(a, x). */
    lowRegGamma(a: number, x: number): number;
    /** ln Gamma(x). */
    gammaln(x: number): number;
  };
}
