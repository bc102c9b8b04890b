import fs from 'node:fs';
import path from 'node:path';
import { instancePaths, type StackLayout } from '../layout';
import type { ProcessSpec } from '../processes';
import { zkServing } from '../probes';

/** ZooKeeper from Debian's `zookeeper` package, run directly (its zkEnv.sh pins /var/log paths). */

const CLASSPATH = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-simple.jar'].join(':');

export function zookeeperProcesses(layout: StackLayout): ProcessSpec[] {
  const ensemble = layout.zookeeper.length > 1;
  return layout.zookeeper.map((node) => {
    const paths = instancePaths(layout, node.name);
    const cfgFile = path.join(paths.conf, 'zoo.cfg');
    const cfg = [
      'tickTime=2000',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${paths.data}`,
      `clientPort=${node.port}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,ruok,mntr',
      // Keep snapshots bounded on long-lived dev machines.
      'autopurge.snapRetainCount=3',
      'autopurge.purgeInterval=1',
      ...(ensemble ? layout.zookeeper.map((z) => `server.${z.id}=127.0.0.1:${z.peerPort}:${z.electionPort}`) : []),
    ];
    return {
      name: node.name,
      component: 'zookeeper',
      command: 'java',
      args: ['-Xms128m', '-Xmx256m', '-cp', CLASSPATH, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfgFile],
      paths,
      ports: ensemble ? [node.port, node.peerPort, node.electionPort] : [node.port],
      endpoints: { client: `127.0.0.1:${node.port}` },
      async prepare() {
        fs.writeFileSync(cfgFile, cfg.join('\n') + '\n');
        if (ensemble) fs.writeFileSync(path.join(paths.data, 'myid'), `${node.id}\n`);
      },
      probe: async () => void (await zkServing(node.port)),
    };
  });
}
