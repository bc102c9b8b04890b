import type net from 'node:net';

/** Listens on 127.0.0.1:port, or fails naming the sink and the port when something else holds it. */
export function listenLocal(server: net.Server, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`${what} cannot listen on 127.0.0.1:${port}: the port is taken by another process (find it with \`ss -ltnp 'sport = :${port}'\`)`)
          : err,
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}
