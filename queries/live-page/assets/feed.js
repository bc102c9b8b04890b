// The /v1/live event stream: snapshot, update and status events, and the connection's state.
// The browser's EventSource reconnects by itself when the API drops; when the API refuses the
// stream (HTTP error), the reason is fetched and shown, and the stream reopened a little later.

const REOPEN_MS = 5000;

/**
 * handlers: snapshot(data), update(data), status(data), connection(state, detail) with state
 * 'open' | 'reconnecting' | 'refused'. Returns a function that closes the stream for good.
 */
export function openFeed(params, handlers) {
  const url = `/v1/live?${new URLSearchParams(params)}`;
  let source;
  let reopenTimer;
  let closed = false;

  const open = () => {
    source = new EventSource(url);
    const on = (event, handler) => source.addEventListener(event, (e) => handler(JSON.parse(e.data)));
    on('snapshot', handlers.snapshot);
    on('update', handlers.update);
    on('status', handlers.status);
    source.onopen = () => handlers.connection('open');
    source.onerror = () => {
      if (closed) return;
      if (source.readyState === EventSource.CONNECTING) return handlers.connection('reconnecting');
      // CLOSED: the API answered, but not with a stream (400, 503): say why, then try again.
      void explainRefusal(url).then((why) => !closed && handlers.connection('refused', why));
      reopenTimer = setTimeout(() => !closed && open(), REOPEN_MS);
    };
  };
  open();
  return () => {
    closed = true;
    clearTimeout(reopenTimer);
    source.close();
  };
}

async function explainRefusal(url) {
  const abort = new AbortController();
  try {
    const res = await fetch(url, { signal: abort.signal, headers: { accept: 'application/json' } });
    if (res.ok) return 'the live stream closed; reopening';
    const body = await res.json().catch(() => ({}));
    return [body.error, ...(body.problems ?? [])].filter(Boolean).join('; ') || `HTTP ${res.status}`;
  } catch {
    return 'the API does not answer';
  } finally {
    abort.abort();
  }
}
