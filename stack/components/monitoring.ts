import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/config';
import { instancePaths, portOverrides, type StackLayout } from '../layout';
import type { ProcessSpec } from '../processes';
import { httpOk } from '../probes';
import { renderSharedFile } from '../render';
import { deliveryOverrides } from '../../alerting/delivery-config';

/** Prometheus and Alertmanager from Debian's packages, configured by the shared files in alerting/. */

const ALERTING = path.join(REPO_ROOT, 'alerting');

export function prometheusProcesses(layout: StackLayout): ProcessSpec[] {
  const { name, port } = layout.prometheus;
  const paths = instancePaths(layout, name);
  const configFile = path.join(paths.conf, 'prometheus.yml');
  return [
    {
      name,
      component: 'prometheus',
      command: '/usr/bin/prometheus',
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${paths.data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Lets tests and operators reload rules without a restart.
        '--web.enable-lifecycle',
      ],
      paths,
      ports: [port],
      endpoints: { url: `http://127.0.0.1:${port}` },
      async prepare() {
        renderSharedFile(path.join(ALERTING, 'prometheus.yml'), paths.conf, portOverrides(layout));
        // rule_files resolve next to the config file: point them at the shared rules.
        const rules = path.join(paths.conf, 'rules');
        fs.rmSync(rules, { recursive: true, force: true });
        fs.symlinkSync(path.join(ALERTING, 'rules'), rules);
      },
      probe: () => httpOk(`http://127.0.0.1:${port}/-/ready`),
    },
  ];
}

export function alertmanagerProcesses(layout: StackLayout): ProcessSpec[] {
  const { name, port } = layout.alertmanager;
  const paths = instancePaths(layout, name);
  return [
    {
      name,
      component: 'alertmanager',
      command: '/usr/bin/prometheus-alertmanager',
      args: [
        `--config.file=${path.join(paths.conf, 'alertmanager.yml')}`,
        `--storage.path=${paths.data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // One instance: no gossip port to collide with.
        '--cluster.listen-address=',
      ],
      paths,
      ports: [port],
      endpoints: { url: `http://127.0.0.1:${port}` },
      async prepare() {
        // Delivery endpoints (ALERT_* variables) replace the local sinks' addresses written in the shared file.
        renderSharedFile(path.join(ALERTING, 'alertmanager.yml'), paths.conf, portOverrides(layout), undefined, deliveryOverrides(layout.config.alerting));
      },
      probe: () => httpOk(`http://127.0.0.1:${port}/-/ready`),
    },
  ];
}
