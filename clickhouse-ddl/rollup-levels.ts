/**
 * The time units of the rollups. A rollup table's name ends in its unit
 * (upload_rollup[_all]_<level>[_local]) and its `minute` column holds the start of the row's
 * minute, hour or UTC day.
 */
export const LEVEL_SECONDS = { '1m': 60, '1h': 3600, '1d': 86400 } as const;
export type Level = keyof typeof LEVEL_SECONDS;

/** The unit of a rollup table, in seconds, from its name. */
export function unitOf(table: string): number {
  const m = /_(1m|1h|1d)(?:_local)?$/.exec(table);
  if (!m) throw new Error(`cannot tell the time unit of rollup table ${table}: its name must end in _1m, _1h or _1d (clickhouse-ddl/rollup-levels.ts)`);
  return LEVEL_SECONDS[m[1] as Level];
}
