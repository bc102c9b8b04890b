import zookeeper from 'node-zookeeper-client';

/** Promise wrappers over node-zookeeper-client for the few calls the project makes. */

export { CreateMode } from 'node-zookeeper-client';
export type ZkClient = zookeeper.Client;

export function connectZk(connect: string, opts: { sessionTimeoutMs?: number; connectTimeoutMs?: number } = {}): Promise<ZkClient> {
  const client = zookeeper.createClient(connect, { sessionTimeout: opts.sessionTimeoutMs ?? 6000 });
  const timeout = opts.connectTimeoutMs ?? 10000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`no ZooKeeper session with ${connect} within ${timeout} ms: is ZooKeeper running (npm run stack:status)?`));
    }, timeout);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

/** ZooKeeper's Exception is not an Error; its toString names the code and path. */
const toError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

const callback =
  <T>(resolve: (v: T) => void, reject: (e: Error) => void) =>
  (err: unknown, value: T) =>
    err ? reject(toError(err)) : resolve(value);

export const zkExists = (client: ZkClient, path: string): Promise<boolean> =>
  new Promise((resolve, reject) => client.exists(path, (err, stat) => (err ? reject(toError(err)) : resolve(Boolean(stat)))));

export const zkMkdirp = (client: ZkClient, path: string): Promise<string> =>
  new Promise((resolve, reject) => client.mkdirp(path, callback(resolve, reject)));

export const zkCreate = (client: ZkClient, path: string, data: Buffer, mode: number): Promise<string> =>
  new Promise((resolve, reject) => client.create(path, data, mode, callback(resolve, reject)));
