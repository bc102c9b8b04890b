import { Ewma, EWMA_DEFAULTS } from './ewma';

test('Montgomery ISQC Example 9.2 (lambda 0.1, L 2.7, mu0 10, sigma 1; observations 9.45, 7.99)', () => {
  const e = new Ewma({ target: 10, sigma: 1, lambda: 0.1, L: 2.7 });
  // z1 = 0.1*9.45 + 0.9*10 = 9.945; UCL1 = 10 + 2.7*sqrt(0.1/1.9*(1 - 0.9^2)) = 10 + 2.7*0.1 = 10.27
  const first = e.update(9.45);
  expect(first.value).toBeCloseTo(9.945, 12);
  expect(first.limits.ucl).toBeCloseTo(10.27, 12);
  expect(first.limits.lcl).toBeCloseTo(9.73, 12);
  // z2 = 0.1*7.99 + 0.9*9.945 = 9.7495; UCL2 = 10 + 2.7*sqrt(0.1/1.9*(1 - 0.9^4)) = 10 + 2.7*0.134536 = 10.3632
  const second = e.update(7.99);
  expect(second.value).toBeCloseTo(9.7495, 12);
  expect(second.limits.ucl).toBeCloseTo(10.3632, 4);
});

test('defaults lambda 0.2, L 2.962: exact-variance limits at i = 1, 2 and asymptotically', () => {
  const e = new Ewma({ target: 10, sigma: 2 });
  expect([e.lambda, e.L]).toEqual([EWMA_DEFAULTS.lambda, EWMA_DEFAULTS.L]);
  // i = 1: sd = 2*sqrt(0.2/1.8*(1 - 0.8^2)) = 2*sqrt(0.04) = 0.4 (= lambda*sigma); UCL = 10 + 2.962*0.4 = 11.1848
  const first = e.update(12);
  expect(first.value).toBeCloseTo(0.2 * 12 + 0.8 * 10, 12); // 10.4
  expect(first.limits).toMatchObject({ center: 10 });
  expect(first.limits.sigma).toBeCloseTo(0.4, 12);
  expect(first.limits.ucl).toBeCloseTo(11.1848, 12);
  expect(first.limits.lcl).toBeCloseTo(8.8152, 12);
  // i = 2: sd = 2*sqrt(0.2/1.8*(1 - 0.8^4)) = 2*sqrt(0.0656) = 0.51225; UCL = 10 + 2.962*0.51225 = 11.5173
  const second = e.update(8);
  expect(second.value).toBeCloseTo(0.2 * 8 + 0.8 * 10.4, 12); // 9.92
  expect(second.limits.ucl).toBeCloseTo(11.5173, 4);
  // i -> infinity: sd = 2*sqrt(0.2/1.8) = 0.66667; UCL = 10 + 2.962*0.66667 = 11.97467
  let last = second;
  for (let i = 0; i < 200; i++) last = e.update(10);
  expect(last.limits.ucl).toBeCloseTo(11.97467, 5);
  expect(last.value).toBeCloseTo(10, 12);
});

test('reset starts over: the statistic at the new target and the narrow first-point limits again', () => {
  const e = new Ewma({ target: 10, sigma: 2 });
  for (let i = 0; i < 50; i++) e.update(14);
  e.reset(100, 5);
  const { value, limits } = e.update(100);
  expect(value).toBe(100);
  expect(limits.sigma).toBeCloseTo(0.2 * 5, 12);
});

test('invalid settings are refused', () => {
  expect(() => new Ewma({ target: 0, sigma: 0 })).toThrow(RangeError);
  expect(() => new Ewma({ target: 0, sigma: 1, lambda: 0 })).toThrow(RangeError);
  expect(() => new Ewma({ target: 0, sigma: 1, lambda: 1.5 })).toThrow(RangeError);
});
