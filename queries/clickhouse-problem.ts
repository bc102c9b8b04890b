/**
 * A failed ClickHouse request in words for the API's answers and the live page: "unreachable" when
 * no answer came (server down, wrong address), else what the server said.
 */

const NO_ANSWER = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

export function clickhouseProblem(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (NO_ANSWER.has(code) || /socket hang up|timeout/i.test(message)) return `ClickHouse unreachable: ${message || code}`;
  return `ClickHouse query failed: ${message}`;
}
