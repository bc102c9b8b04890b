// The pipeline overview in miniature: the latest global window (traffic, failure rate, latency),
// how fresh it is, anomalies in range, and a sparkline of events per second.
import { formatAgo, formatTime, formatValue } from './format.js';

const text = (id, value) => {
  document.getElementById(id).textContent = value;
};

export function createOverview(sparkElement) {
  const spark = echarts.init(sparkElement);
  return {
    /** windows: global windows oldest first; anomalies: those in range; now: the server's clock, epoch s. */
    render(windows, anomalies, now) {
      const last = windows[windows.length - 1];
      text('kpi-rate', last ? (last.events / last.seconds).toFixed(last.events / last.seconds >= 100 ? 0 : 1) : '–');
      text('kpi-failure', last && last.attempts > 0 ? formatValue('failure_rate', last.failures / last.attempts) : '–');
      text('kpi-latency', last ? formatValue('latency_mean', last.latencyMean) : '–');
      text('kpi-window', last ? formatTime(last.t) : '–');
      text('kpi-fresh', last ? `charted ${formatAgo(now - last.written)}` : 'nothing charted yet');
      const pages = anomalies.filter((a) => a.severity === 'page').length;
      text('kpi-anomalies', String(anomalies.length));
      text('kpi-pages', `${pages} page${pages === 1 ? '' : 's'}, ${anomalies.length - pages} ticket${anomalies.length - pages === 1 ? '' : 's'}`);
      spark.setOption(
        {
          animation: false,
          grid: { left: 4, right: 4, top: 6, bottom: 4 },
          xAxis: { type: 'time', show: false },
          yAxis: { type: 'value', show: false, scale: true },
          tooltip: { trigger: 'axis', formatter: (items) => `${formatTime(items[0].value[0] / 1000)} UTC: ${items[0].value[1].toFixed(1)} events/s` },
          series: [{ type: 'line', symbol: 'none', lineStyle: { color: '#2f6fdb', width: 1.2 }, areaStyle: { color: 'rgba(47, 111, 219, 0.12)' }, data: windows.map((w) => [w.t * 1000, w.events / w.seconds]) }],
        },
        true,
      );
    },
    resize: () => spark.resize(),
  };
}
