import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import { registerService } from '../lib/service-registry';
import { zookeeperConnect } from '../stack/layout';
import { eventually, testStack } from '../test/stack-env';

/**
 * Why ServiceDown has a second rule, on the real Prometheus: an instance whose ZooKeeper session ends
 * (SIGKILL, after the session timeout; here the session is closed at once) leaves the serverset, its
 * target goes, and `up` goes with it instead of turning 0. The rule's own expression picks it up.
 * The instance registers as load-tests (a path Prometheus discovers, excluded from the real rule so
 * that benchmarks do not page); the expression is narrowed to this instance instead.
 */

interface Rule { alert?: string; expr: string; labels?: Record<string, string> }
const rules = (parse(fs.readFileSync(path.join(__dirname, 'rules', 'stack.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const vanished = rules.find((r) => r.alert === 'ServiceDown' && r.labels?.cause === 'no-instance');

test('a service whose instance left the serverset is found by the ServiceDown rule, though up == 0 never appears', async () => {
  expect(vanished?.expr).toContain('service!="load-tests"');
  const stack = await testStack();
  const prometheus = stack.status.components.prometheus.url;
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('service_down_test 1\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const instance = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const query = async (q: string) => {
    const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(q)}`);
    return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
  };
  const expr = vanished!.expr.replace('service!="load-tests"', `service="load-tests", instance="${instance}"`);
  const upOf = `up{job="upload-pulse",service="load-tests",instance="${instance}"}`;

  const registration = registerService({ connect: zookeeperConnect(stack.layout), service: 'load-tests', host: '127.0.0.1', port: Number(instance.split(':')[1]), log: pino({ level: 'warn' }) });
  await registration.ready;
  try {
    await eventually('Prometheus to scrape the instance', async () => ((await query(`${upOf} == 1`)).length > 0 ? true : undefined), 60_000);
    expect(await query(expr)).toEqual([]);

    await registration.close();
    const sawZero: string[] = [];
    const found = await eventually(
      'the ServiceDown expression to report the service',
      async () => {
        if ((await query(`${upOf} == 0`)).length > 0) sawZero.push('up == 0');
        const result = await query(expr);
        return result.length > 0 ? result : undefined;
      },
      60_000,
    );
    expect(found.map((r) => [r.metric.service, r.value[1]])).toEqual([['load-tests', '1']]);
    expect(await query(upOf)).toEqual([]);
    expect(sawZero).toEqual([]);
  } finally {
    await registration.close();
    server.close();
  }
});
