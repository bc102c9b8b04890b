import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';

/** Health probes: each resolves only when the component answers a real request. */

export async function httpOk(url: string, check?: (body: string) => boolean): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${body.slice(0, 200)}`);
  if (check && !check(body)) throw new Error(`${url} answered unexpectedly: ${body.slice(0, 200)}`);
}

/** Sends a ZooKeeper four-letter-word command and returns the reply. */
export function zkCommand(port: number, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(3000, () => socket.destroy(new Error(`no reply to '${cmd}' within 3 s`)));
    socket.on('connect', () => socket.write(cmd));
    socket.on('data', (d) => (reply += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(reply));
  });
}

/** A ZooKeeper node is serving when `srvr` reports its mode (standalone, leader or follower). */
export async function zkServing(port: number): Promise<string> {
  const reply = await zkCommand(port, 'srvr');
  const mode = /Mode: (\w+)/.exec(reply);
  if (!mode) throw new Error(`zookeeper on ${port} not serving: ${reply.trim() || 'empty reply'}`);
  return mode[1];
}

/** The broker answers metadata requests and sees `expectedBrokers` brokers in its cluster. */
export async function kafkaBrokerReady(port: number, expectedBrokers: number): Promise<void> {
  const admin = new Kafka({
    clientId: 'stack-probe',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length < expectedBrokers) {
      throw new Error(`broker on ${port} sees ${cluster.brokers.length} of ${expectedBrokers} brokers`);
    }
  } finally {
    await admin.disconnect();
  }
}
