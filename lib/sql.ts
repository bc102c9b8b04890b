/**
 * SQL literals for ClickHouse 18.16, which has no server-side query parameters: every value that
 * reaches a query is validated first and then written through these functions, never pasted.
 */

/** A single-quoted string literal: backslash and quote escaped, control characters as escapes. */
export function quoteString(value: string): string {
  const escaped = value.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${escaped}'`;
}

/** An unsigned integer literal from a bigint, refusing anything outside UInt64. */
export function uint64(value: bigint): string {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${value} is outside UInt64`);
  return value.toString();
}

/** A plain identifier (database or table name). */
export function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a plain identifier`);
  return name;
}
