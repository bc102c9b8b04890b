import { createClient, type ClickHouseClient } from '@clickhouse/client';

/**
 * The project's ClickHouse HTTP client. ClickHouse 18.16 closes idle keep-alive connections after
 * 3 s; sockets idle for 1 s are dropped first, and stale ones destroyed eagerly, so a request never
 * lands on a connection the server is closing ("socket hang up"). `database`: where unqualified
 * table names resolve (the server's default database otherwise).
 */
export function createClickHouse(url: string, database?: string, opts: { requestTimeoutMs?: number } = {}): ClickHouseClient {
  return createClient({
    url,
    ...(database ? { database } : {}),
    keep_alive: { enabled: true, idle_socket_ttl: 1000, eagerly_destroy_stale_sockets: true },
    // Long statements (a rollup rebuild's INSERT ... SELECT) need more than the client's 30 s default,
    // and progress headers every 110 s keep an otherwise silent response from idling out.
    ...(opts.requestTimeoutMs !== undefined
      ? { request_timeout: opts.requestTimeoutMs, clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '110000' } }
      : {}),
  });
}

/** The rows of a SELECT, one object per row (64-bit integers arrive as strings). */
export async function queryRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}
