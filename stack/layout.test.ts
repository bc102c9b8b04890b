import { loadEnv, stackConfig } from '../lib/config';
import { allPorts, bootstrapServers, ingestServers, layoutFor, portOverrides } from './layout';
import { renderPorts } from './render';

const layout = (env: Record<string, string>, topology: 'single' | 'cluster') => layoutFor(stackConfig(loadEnv(env), { topology }));

test('single topology: one of each on the documented ports', () => {
  const l = layout({}, 'single');
  expect(bootstrapServers(l)).toBe('127.0.0.1:9092');
  expect(l.clickhouse).toEqual([{ id: 1, name: 'clickhouse-1', configFile: 'node-1.xml', shard: 1, replica: 1, httpPort: 8123, tcpPort: 9000, interserverPort: 9009 }]);
  expect(ingestServers(l)).toEqual(l.clickhouse);
  expect(l.zookeeper.map((z) => z.port)).toEqual([2181]);
});

test('cluster topology: 3 brokers, 2 shards x 2 replicas, 2 ingest servers, 3 ZooKeeper nodes, no port used twice', () => {
  const l = layout({}, 'cluster');
  expect(bootstrapServers(l)).toBe('127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292');
  expect(l.clickhouse.map((c) => [c.shard, c.replica, c.httpPort, c.tcpPort])).toEqual([
    [1, 1, 8123, 9000],
    [1, 2, 8124, 9001],
    [2, 1, 8125, 9002],
    [2, 2, 8126, 9003],
  ]);
  expect(ingestServers(l).map((c) => [c.name, c.configFile, c.httpPort, c.tcpPort, c.interserverPort])).toEqual([
    ['clickhouse-ingest-1', 'ingest-1.xml', 8127, 9004, 9013],
    ['clickhouse-ingest-2', 'ingest-2.xml', 8128, 9005, 9014],
  ]);
  const ports = allPorts(l);
  expect(new Set(ports).size).toBe(ports.length);
});

test('overridden ports are mapped from the defaults the shared files are written with', () => {
  const l = layout({ CLICKHOUSE_TCP_PORT: '19000', ZOOKEEPER_PORT: '12181' }, 'cluster');
  const map = portOverrides(l);
  expect([...map.entries()]).toEqual(
    expect.arrayContaining([[2181, 12181], [2182, 12182], [9000, 19000], [9003, 19003]]),
  );
  expect(map.has(9092)).toBe(false);
  const xml = '<node><host>127.0.0.1</host><port>2182</port></node><tcp_port>9000</tcp_port><http_port>8123</http_port>';
  expect(renderPorts(xml, map)).toBe('<node><host>127.0.0.1</host><port>12182</port></node><tcp_port>19000</tcp_port><http_port>8123</http_port>');
  expect(renderPorts("servers: ['127.0.0.1:2181', '127.0.0.1:9093']", map)).toBe("servers: ['127.0.0.1:12181', '127.0.0.1:9093']");
});

test('a bad port variable is refused with its name', () => {
  expect(() => loadEnv({ KAFKA_PORT: 'ninety' })).toThrow(/KAFKA_PORT/);
  expect(() => loadEnv({ STACK_TOPOLOGY: 'mesh' })).toThrow(/STACK_TOPOLOGY/);
});
