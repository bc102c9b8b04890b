import { identifier, quoteString, uint64 } from './sql';

test.each([
  ["it's", "'it\\'s'"],
  ['back\\slash', "'back\\\\slash'"],
  ["'; DROP TABLE upload_events; --", "'\\'; DROP TABLE upload_events; --'"],
  ['line\nbreak\u0000', "'line\\x0abreak\\x00'"],
  ['юникод 😀', "'юникод 😀'"],
])('quoteString(%j) stays one literal', (input, literal) => {
  expect(quoteString(input)).toBe(literal);
});

test('uint64 refuses values outside UInt64; identifiers must be plain', () => {
  expect(uint64(18446744073709551615n)).toBe('18446744073709551615');
  expect(() => uint64(18446744073709551616n)).toThrow(/outside UInt64/);
  expect(() => uint64(-1n)).toThrow(/outside UInt64/);
  expect(() => identifier('db; DROP')).toThrow(/not a plain identifier/);
});
