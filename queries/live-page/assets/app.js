// The live page: pickers, the live feed, and what is on screen (chart, overview, anomalies, and in
// words what is missing or broken). The view is kept in the URL, so a link reopens it.
import { renderAnomalies } from './anomaly-table.js';
import { controlChartOption, sellerChartOption } from './control-chart.js';
import { openFeed } from './feed.js';
import { CHART_TITLES, dimensionLabel, formatTime } from './format.js';
import { createOverview } from './overview.js';

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const RANGES = [...$('range-select').options].map((o) => Number(o.value));
const DIMENSIONS_REFRESH_MS = 10_000;

const state = {
  stream: query.get('stream') ?? undefined,
  chart: [...$('chart-select').options].some((o) => o.value === query.get('chart')) ? query.get('chart') : 'failure_rate',
  dimension: query.get('dimension') ?? undefined,
  range: RANGES.includes(Number(query.get('range'))) ? Number(query.get('range')) : 3600,
  points: new Map(),
  breaches: new Map(),
  anomalies: new Map(),
  windows: new Map(),
  /** Server clock minus browser clock, seconds. */
  skew: 0,
  /** 'wait' until the first snapshot, 'ok', 'clickhouse' (ClickHouse fails), 'api' (API unreachable), 'refused'. */
  health: 'wait',
  problem: '',
  problemTitle: '',
  dimensions: [],
  dimensionsAt: 0,
  loaded: false,
};

const chart = echarts.init($('chart'));
const overview = createOverview($('spark'));
let closeFeed = () => {};
let renderQueued = false;

const now = () => Date.now() / 1000 + state.skew;
const isSeller = () => state.chart === 'seller';
const byStartDesc = (a, b) => b.start - a.start || a.chart.localeCompare(b.chart) || a.dimension.localeCompare(b.dimension) || a.rule.localeCompare(b.rule);

function saveView() {
  const params = new URLSearchParams();
  if (state.stream) params.set('stream', state.stream);
  params.set('chart', state.chart);
  if (state.dimension) params.set('dimension', state.dimension);
  params.set('range', String(state.range));
  history.replaceState(null, '', `?${params}`);
}

// ---- the live feed ----

function connect() {
  closeFeed();
  state.loaded = false;
  // What was drawn belongs to the previous choice; the snapshot brings the new one.
  state.points = new Map();
  state.breaches = new Map();
  state.health = state.health === 'api' ? 'api' : 'wait';
  const from = Math.floor(now() - state.range);
  const params = { chart: state.chart, from: String(from), ...(state.stream ? { stream: state.stream } : {}), ...(state.dimension ? { dimension: state.dimension } : {}) };
  closeFeed = openFeed(params, {
    snapshot(data) {
      state.stream = data.stream;
      state.skew = data.now - Date.now() / 1000;
      state.points = new Map(data.points.map((p) => [p.t, p]));
      state.breaches = new Map(data.breaches.map((a) => [a.id, a]));
      state.anomalies = new Map(data.anomalies.map((a) => [a.id, a]));
      state.windows = new Map(data.windows.map((w) => [w.t, w]));
      state.health = 'ok';
      state.problem = '';
      state.loaded = true;
      saveView();
      if (state.dimensions.length <= 1) void loadDimensions();
      scheduleRender();
    },
    update(data) {
      state.skew = data.now - Date.now() / 1000;
      for (const p of data.points) state.points.set(p.t, p);
      for (const a of data.breaches) state.breaches.set(a.id, a);
      for (const a of data.anomalies) {
        state.anomalies.set(a.id, a);
        if (isSeller() && a.dimension === state.dimension) state.breaches.set(a.id, a);
      }
      for (const w of data.windows) state.windows.set(w.t, w);
      state.health = 'ok';
      state.problem = '';
      const sellerMissing = isSeller() && data.anomalies.some((a) => a.dimension.startsWith('seller=') && !state.dimensions.some((d) => d.dimension === a.dimension));
      // Soon while the list is (nearly) empty or lacks a seller just flagged, else every DIMENSIONS_REFRESH_MS.
      const due = sellerMissing || state.dimensions.length <= 1 ? 2000 : DIMENSIONS_REFRESH_MS;
      if (Date.now() - state.dimensionsAt > due) void loadDimensions();
      scheduleRender();
    },
    status(data) {
      state.stream = data.stream;
      state.health = 'clickhouse';
      // "ClickHouse unreachable" or "ClickHouse query failed", then the detail.
      state.problemTitle = data.error.split(':')[0];
      state.problem = `${data.error}. Retrying every ${Math.round(data.retryInMs / 1000)} s; what is shown may be out of date.`;
      scheduleRender();
    },
    connection(s, detail) {
      if (s === 'open') return;
      if (s === 'reconnecting') {
        state.health = 'api';
        state.problem = `The API at ${location.host} does not answer (the service is down or restarting). Retrying every 2 s; what is shown is from before.`;
      } else {
        state.health = 'refused';
        state.problem = `The API refused the live stream: ${detail}. Retrying in 5 s.`;
      }
      scheduleRender();
    },
  });
}

// ---- the dimension picker ----

async function loadDimensions() {
  state.dimensionsAt = Date.now();
  const to = Math.ceil(now()) + 60;
  const params = new URLSearchParams({ chart: state.chart, from: String(Math.floor(to - 60 - state.range)), to: String(to), ...(state.stream ? { stream: state.stream } : {}) });
  const wanted = state.chart;
  try {
    const res = await fetch(`/v1/dimensions?${params}`);
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
    if (wanted !== state.chart) return;
    state.dimensions = body.dimensions;
  } catch (err) {
    // The live stream reports ClickHouse and the API itself; a picker that did not refresh keeps its list.
    console.warn('dimension list not refreshed:', err);
    return;
  }
  renderDimensions();
  if (isSeller() && !state.dimension && state.dimensions.length > 0) {
    state.dimension = state.dimensions[0].dimension;
    renderDimensions();
    connect();
  }
}

function renderDimensions() {
  const select = $('dimension-select');
  const list = [...state.dimensions];
  if (!isSeller() && !list.some((d) => d.dimension === 'global')) list.unshift({ dimension: 'global', count: 0 });
  if (state.dimension && !list.some((d) => d.dimension === state.dimension)) list.push({ dimension: state.dimension, count: 0 });
  const options = list.map((d) => {
    const label = isSeller() ? `${dimensionLabel(d.dimension)} · ${d.count} breach${d.count === 1 ? '' : 'es'}` : dimensionLabel(d.dimension);
    return new Option(label, d.dimension, false, d.dimension === (state.dimension ?? 'global'));
  });
  if (options.length === 0) options.push(new Option('no sellers with anomalies', '', true, true));
  select.replaceChildren(...options);
  select.disabled = options.length === 1 && !select.options[0].value;
}

// ---- rendering ----

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

/** Drops what slid out of the range. */
function trim() {
  const from = now() - state.range;
  for (const map of [state.points, state.windows]) for (const t of map.keys()) if (t < from) map.delete(t);
  for (const map of [state.anomalies, state.breaches]) for (const [id, a] of map) if (a.start < from) map.delete(id);
}

function render() {
  trim();
  const points = [...state.points.values()].sort((a, b) => a.t - b.t);
  const windows = [...state.windows.values()].sort((a, b) => a.t - b.t);
  const anomalies = [...state.anomalies.values()].sort(byStartDesc);
  const breaches = [...state.breaches.values()].sort(byStartDesc);
  const latest = windows[windows.length - 1];

  renderConnection();
  $('stream-name').textContent = state.stream ?? '…';
  overview.render(windows, anomalies, now());

  const title = isSeller() ? `Seller drill-down${state.dimension ? `: ${dimensionLabel(state.dimension)}` : ''}` : `${CHART_TITLES[state.chart]} · ${dimensionLabel(state.dimension ?? 'global')}`;
  $('chart-title').textContent = title;
  chart.setOption(isSeller() ? sellerChartOption([...breaches].reverse()) : controlChartOption(state.chart, points), true);
  const newest = isSeller() ? breaches[0]?.start : points[points.length - 1]?.t;
  $('chart').dataset.lastWindow = newest === undefined ? '' : String(newest);
  $('chart').dataset.marked = String(isSeller() ? breaches.length : points.filter((p) => p.rules.length > 0).length);
  renderChartState(points, breaches, windows);

  $('anomalies-count').textContent = anomalies.length ? `${anomalies.length} in range${anomalies.length > 200 ? ', newest 200 shown' : ''}` : '';
  renderAnomalies($('anomalies').tBodies[0], anomalies, {
    latestStart: latest?.t,
    selected: { chart: state.chart, dimension: state.dimension ?? 'global' },
    onPick: (a) => select(a.chart.startsWith('seller_') ? 'seller' : a.chart, a.dimension),
  });
  const empty = $('anomalies-empty');
  empty.hidden = anomalies.length > 0 || !state.loaded;
  empty.textContent = windows.length === 0 ? 'No anomalies: nothing charted in this range yet.' : 'No anomalies in this range: every charted point is within its limits.';
}

function renderConnection() {
  const pill = $('connection');
  const [text, kind] = {
    wait: ['connecting…', 'wait'],
    ok: ['live', 'ok'],
    clickhouse: [state.problemTitle, 'bad'],
    api: ['API unreachable', 'bad'],
    refused: ['stream refused', 'bad'],
  }[state.health];
  pill.textContent = text;
  pill.className = `pill pill-${kind}`;
  const banner = $('banner');
  banner.hidden = !state.problem;
  banner.textContent = state.problem;
}

/** In words: what the chart shows, or why it is empty. */
function renderChartState(points, breaches, windows) {
  const empty = $('chart-empty');
  const say = (title, detail) => {
    empty.hidden = false;
    empty.replaceChildren(Object.assign(document.createElement('strong'), { textContent: title }), document.createTextNode(detail));
  };
  empty.hidden = true;
  const note = $('chart-note');
  const rangeText = $('range-select').selectedOptions[0].textContent;
  if (!state.loaded) {
    // The banner above says what is wrong in full.
    if (state.problem) say(state.health === 'clickhouse' ? state.problemTitle : 'No connection', 'Nothing to show until the API can read the charts; see the message above.');
    else say('Loading…', '');
    note.textContent = '';
    return;
  }
  if (windows.length === 0 && points.length === 0 && breaches.length === 0) {
    say(`No data yet for stream ${state.stream} (${rangeText}).`, 'The anomaly worker charts each window once it closes. Send traffic, e.g. `npm run simulate -- --rate 1000 --duration 10m`, and make sure the anomaly worker runs (`npm run stack:status`).');
    note.textContent = '';
    return;
  }
  if (isSeller()) {
    if (!state.dimension) say('No seller anomalies in this range.', 'Sellers are tested every window, but only their breaches are stored; none so far.');
    else if (breaches.length === 0) say(`No breaches of ${dimensionLabel(state.dimension)} in this range.`, 'Pick another seller or a longer range.');
    note.textContent = state.dimension ? `${breaches.length} breaches of ${dimensionLabel(state.dimension)}: observed (red, rule "tail") against what the seller's own history expected (green).` : '';
    return;
  }
  if (points.length === 0) {
    say(`No ${state.chart} points for ${dimensionLabel(state.dimension ?? 'global')} (${rangeText}).`, 'This dimension had too few events to chart in the range, or none at all. Pick another dimension or a longer range.');
    note.textContent = '';
    return;
  }
  const withLimits = points.filter((p) => p.center !== null).length;
  const marked = points.filter((p) => p.rules.length > 0);
  const rules = [...new Set(marked.flatMap((p) => p.rules))].sort();
  const last = points[points.length - 1];
  note.textContent = [
    `${points.length} windows, last ${formatTime(last.t)} UTC`,
    withLimits === 0 ? 'no limits yet: the baseline is still warming up (ANOMALY_MIN_BASELINE_WINDOWS windows)' : `${withLimits} with limits`,
    marked.length ? `${marked.length} marked (rules ${rules.join(', ')})` : 'no rule broken',
  ].join(' · ');
}

// ---- controls ----

function select(chartName, dimension) {
  const chartChanged = chartName !== state.chart;
  state.chart = chartName;
  state.dimension = dimension;
  $('chart-select').value = chartName;
  if (chartChanged) state.dimensions = [];
  renderDimensions();
  saveView();
  connect();
  if (chartChanged) void loadDimensions();
}

$('chart-select').value = state.chart;
$('range-select').value = String(state.range);
$('chart-select').addEventListener('change', (e) => select(e.target.value, e.target.value === 'seller' ? undefined : 'global'));
$('dimension-select').addEventListener('change', (e) => select(state.chart, e.target.value || undefined));
$('range-select').addEventListener('change', (e) => {
  state.range = Number(e.target.value);
  saveView();
  connect();
  void loadDimensions();
});
// ECharts sizes its canvas once: follow the boxes as the layout settles and the window changes.
new ResizeObserver(() => chart.resize()).observe($('chart'));
new ResizeObserver(() => overview.resize()).observe($('spark'));
// The range slides with the clock even when nothing new arrives.
setInterval(scheduleRender, 5000);

renderDimensions();
connect();
void loadDimensions();
