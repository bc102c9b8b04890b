import type http from 'node:http';

/** Server-sent events framing (text/event-stream): one JSON object per event, on one data line. */

export function openEventStream(res: http.ServerResponse, retryMs: number): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  // How long the browser waits before reconnecting after the stream drops.
  res.write(`retry: ${retryMs}\n\n`);
}

const writable = (res: http.ServerResponse): boolean => !res.writableEnded && !res.destroyed;

export function sendEvent(res: http.ServerResponse, event: string, data: unknown): void {
  if (writable(res)) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** A comment line: keeps idle connections open through proxies and reveals a dead client. */
export function sendComment(res: http.ServerResponse, text: string): void {
  if (writable(res)) res.write(`: ${text}\n\n`);
}
