// The list of current and recent anomalies, newest first; a click opens that chart and dimension.
import { dimensionLabel, formatTime, formatValue } from './format.js';

const MAX_ROWS = 200;

const cell = (text, className) => {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
};

/**
 * anomalies: newest first. `latestStart`: the newest charted window; breaches in it are current.
 * `selected`: { chart, dimension } on screen. `onPick(anomaly)` when a row is clicked.
 */
export function renderAnomalies(tbody, anomalies, { latestStart, selected, onPick }) {
  const rows = anomalies.slice(0, MAX_ROWS).map((a) => {
    const tr = document.createElement('tr');
    Object.assign(tr.dataset, { id: a.id, chart: a.chart, dimension: a.dimension, rule: a.rule, start: String(a.start) });
    const current = latestStart !== undefined && a.start >= latestStart;
    tr.classList.toggle('current', current);
    const onScreen = a.dimension === selected.dimension && (a.chart === selected.chart || (selected.chart === 'seller' && a.chart.startsWith('seller_')));
    tr.classList.toggle('selected', onScreen);
    tr.title = `${current ? 'current: in the latest window. ' : ''}UCL ${formatValue(a.chart, a.ucl)}, LCL ${formatValue(a.chart, a.lcl)}${a.pValue !== null ? `, p ${a.pValue.toExponential(2)}` : ''}; click to chart it`;
    // The rule, in the colour of its severity (page or ticket).
    const rule = document.createElement('span');
    rule.className = `sev sev-${a.severity}`;
    rule.textContent = `${a.rule} · ${a.severity}`;
    const ruleCell = cell('', 'rule');
    ruleCell.append(rule);
    tr.append(
      cell(formatTime(a.start, latestStart !== undefined && latestStart - a.start > 86_400)),
      cell(a.chart, 'chart'),
      Object.assign(cell(dimensionLabel(a.dimension), 'dim'), { title: a.dimension }),
      ruleCell,
      cell(formatValue(a.chart, a.value), 'num'),
      cell(formatValue(a.chart, a.center), 'num'),
    );
    tr.addEventListener('click', () => onPick(a));
    return tr;
  });
  tbody.replaceChildren(...rows);
}
