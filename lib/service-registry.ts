import type pino from 'pino';
import { connectZk, CreateMode, zkCreate, zkMkdirp, type ZkClient } from './zookeeper';

/**
 * Announces a service instance in ZooKeeper in the serverset format Prometheus discovers
 * (serverset_sd_configs in alerting/prometheus.yml). The ephemeral znode lives as long as the
 * session: a crashed instance disappears by itself; an expired session registers again.
 */

export const SERVICES_ROOT = '/upload-pulse/services';

export interface ServiceRegistration { close(): Promise<void> }

export async function registerService(opts: { connect: string; service: string; host: string; port: number; log: pino.Logger }): Promise<ServiceRegistration> {
  const member = Buffer.from(JSON.stringify({ serviceEndpoint: { host: opts.host, port: opts.port }, additionalEndpoints: {}, status: 'ALIVE' }));
  const dir = `${SERVICES_ROOT}/${opts.service}`;
  let closed = false;
  let client: ZkClient;

  const register = async (): Promise<void> => {
    client = await connectZk(opts.connect);
    await zkMkdirp(client, dir);
    const path = await zkCreate(client, `${dir}/member_`, member, CreateMode.EPHEMERAL_SEQUENTIAL);
    opts.log.info({ path }, 'registered for service discovery');
    client.once('expired', () => {
      if (closed) return;
      opts.log.warn('ZooKeeper session expired; registering again');
      client.close();
      register().catch((err: unknown) => opts.log.error({ err }, 'registering again failed; metrics are not discovered until restart'));
    });
  };
  await register();
  return {
    async close() {
      closed = true;
      client.close();
    },
  };
}
