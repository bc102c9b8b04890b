import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';

/** Time-series plots as PNG: echarts renders SVG on the server, resvg rasterises it. */

export interface PlotSeries { name: string; points: [number, number | null][] }
export interface PhaseBand { name: string; from: number; to: number }
export interface Plot { title: string; yName: string; series: PlotSeries[]; bands?: PhaseBand[]; logScale?: boolean; stacked?: boolean }

const WIDTH = 1200;
const HEIGHT = 460;
const LEGEND_ROW = 22;
/** Enough distinct colours for every process of the cluster topology (echarts' own palette has 9). */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#e7ba52', '#637939', '#ad494a', '#6b6ecf', '#8ca252', '#843c39', '#7b4173', '#3182bd', '#000000'];

/** Rows the legend takes at the bottom: a rough width of each entry (symbol, gap, ~7 px a character). */
const legendRows = (plot: Plot) => Math.max(1, Math.ceil(plot.series.reduce((w, s) => w + 40 + 7 * s.name.length, 0) / (WIDTH - 60)));

export function plotSvg(plot: Plot): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption({
      animation: false,
      color: PALETTE,
      backgroundColor: '#ffffff',
      title: { text: plot.title, left: 'center', top: 6, textStyle: { fontSize: 15 } },
      legend: { bottom: 4, left: 'center', type: 'plain', textStyle: { fontSize: 11 } },
      grid: { left: 80, right: 30, top: 60, bottom: 40 + LEGEND_ROW * legendRows(plot) },
      xAxis: { type: 'value', name: 'seconds since start', nameLocation: 'middle', nameGap: 26, min: 0, max: 'dataMax' },
      yAxis: plot.logScale ? { type: 'log', name: plot.yName, logBase: 10 } : { type: 'value', name: plot.yName, min: 0 },
      series: plot.series.map((s, i) => ({
        name: s.name,
        type: plot.stacked ? 'bar' : 'line',
        stack: plot.stacked ? 'total' : undefined,
        showSymbol: false,
        connectNulls: false,
        lineStyle: { width: 1.5 },
        data: plot.logScale ? s.points.map(([x, y]) => [x, y !== null && y > 0 ? y : null]) : s.points,
        markArea:
          i === 0 && plot.bands && plot.bands.length > 0
            ? { silent: true, itemStyle: { color: 'rgba(120,120,120,0.08)' }, label: { fontSize: 10, color: '#555' }, data: plot.bands.map((b) => [{ name: b.name, xAxis: b.from }, { xAxis: b.to }]) }
            : undefined,
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

export function plotPng(plot: Plot): Buffer {
  const png = new Resvg(plotSvg(plot), { background: '#ffffff', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return Buffer.from(png);
}
