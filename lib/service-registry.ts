import { backOff } from 'exponential-backoff';
import type pino from 'pino';
import { connectZk, CreateMode, zkCreate, zkMkdirp, type ZkClient } from './zookeeper';

/**
 * Announces a service instance in ZooKeeper in the serverset format Prometheus discovers
 * (serverset_sd_configs in alerting/prometheus.yml). The ephemeral znode lives as long as the
 * session: a crashed instance disappears by itself; an expired session registers again.
 *
 * Discovery only feeds monitoring, so it never stops a service from serving: registration runs in
 * the background and retries while ZooKeeper is unreachable (the service is then missing from
 * Prometheus's targets, which ServiceDown reports).
 */

export const SERVICES_ROOT = '/upload-pulse/services';

export interface ServiceRegistration {
  /** Resolves once the instance is registered (or the registration was closed first). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function registerService(opts: { connect: string; service: string; host: string; port: number; log: pino.Logger }): ServiceRegistration {
  const member = Buffer.from(JSON.stringify({ serviceEndpoint: { host: opts.host, port: opts.port }, additionalEndpoints: {}, status: 'ALIVE' }));
  const dir = `${SERVICES_ROOT}/${opts.service}`;
  let closed = false;
  let client: ZkClient | undefined;

  const registerOnce = async (): Promise<void> => {
    if (closed) return;
    const session = await connectZk(opts.connect);
    client = session;
    try {
      if (closed) return;
      await zkMkdirp(session, dir);
      const path = await zkCreate(session, `${dir}/member_`, member, CreateMode.EPHEMERAL_SEQUENTIAL);
      opts.log.info({ path }, 'registered for service discovery');
    } catch (err) {
      session.close();
      throw err;
    }
    session.once('expired', () => {
      if (closed) return;
      opts.log.warn('ZooKeeper session expired; registering again');
      session.close();
      void register();
    });
  };
  const register = () =>
    backOff(registerOnce, {
      numOfAttempts: Number.MAX_SAFE_INTEGER,
      startingDelay: 1000,
      maxDelay: 30_000,
      retry: (err: unknown, attempt: number) => {
        if (!closed) opts.log.error({ err, attempt, service: opts.service }, 'registering for service discovery failed; retrying (Prometheus does not see this instance meanwhile)');
        return !closed;
      },
    }).catch(() => undefined);

  const ready = register();
  return {
    ready,
    async close() {
      closed = true;
      client?.close();
    },
  };
}
