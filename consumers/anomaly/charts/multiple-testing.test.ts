import { benjaminiHochberg } from './multiple-testing';

// The worked example of Benjamini & Hochberg 1995 (section 4.2): 15 p-values from a clinical study.
const BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1.0];

test('the 1995 example at q 0.05 rejects 4: p(4) 0.0095 <= 4*0.05/15 = 0.0133, but p(5) 0.0201 > 0.0167 ... p(9) 0.0459 > 0.03', () => {
  const tests = BH_1995.map((p, i) => ({ id: i, p }));
  expect(benjaminiHochberg(tests, 15, 0.05).map((t) => t.p)).toEqual([0.0001, 0.0004, 0.0019, 0.0095]);
});

test('passing only the candidates with p <= q, and m, gives the same discoveries, in input order', () => {
  const candidates = BH_1995.filter((p) => p <= 0.05)
    .reverse()
    .map((p) => ({ p }));
  expect(candidates).toHaveLength(9);
  expect(benjaminiHochberg(candidates, 15, 0.05).map((t) => t.p)).toEqual([0.0095, 0.0019, 0.0004, 0.0001]);
});

test('step-up: a p-value above its own threshold is rejected when a larger one passes its own', () => {
  // m 2, q 0.05: thresholds 0.025 and 0.05; 0.03 > 0.025 but 0.04 <= 0.05 rejects both.
  expect(benjaminiHochberg([{ p: 0.03 }, { p: 0.04 }], 2, 0.05)).toHaveLength(2);
  // With 0.06 instead, neither: 0.03 > 0.025 and 0.06 > 0.05.
  expect(benjaminiHochberg([{ p: 0.03 }, { p: 0.06 }], 2, 0.05)).toHaveLength(0);
});

test('ties are rejected together; nothing in, nothing out', () => {
  expect(benjaminiHochberg([{ p: 0.01 }, { p: 0.01 }, { p: 0.5 }], 3, 0.05)).toHaveLength(2);
  expect(benjaminiHochberg([], 100, 0.05)).toEqual([]);
});

test('m below the number of candidates, or a p outside [0, 1], is refused', () => {
  expect(() => benjaminiHochberg([{ p: 0.01 }, { p: 0.02 }], 1, 0.05)).toThrow(RangeError);
  expect(() => benjaminiHochberg([{ p: NaN }], 1, 0.05)).toThrow(RangeError);
});
