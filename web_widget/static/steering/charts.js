// The steering's charts, drawn by Chart.js when the app serves it (window.Chart); without it, nothing is drawn
// and the page says so once: every figure is in the tables.

import * as fmt from "./format.js";

const PALETTE = ["#0b5cad", "#c2410c", "#1b6b33", "#7c3aed", "#a4161a", "#0e7490", "#a16207", "#be185d"];
const MAX_SERIES = 8;
const charts = new Map();  // canvas id → Chart

export const available = () => typeof window.Chart === "function";

if (available()) {
  window.Chart.defaults.font.family = "system-ui, sans-serif";
  window.Chart.defaults.font.size = 12;
  window.Chart.defaults.color = "#535e6c";
  window.Chart.defaults.locale = "fr-FR";
}

function draw(canvas, config, height = null) {
  if (!available()) return null;
  canvas.parentElement.style.height = height ? `${height}px` : "";
  const old = charts.get(canvas.id);
  if (old) old.destroy();
  const chart = new window.Chart(canvas, config);
  charts.set(canvas.id, chart);
  return chart;
}

/** Durations step by whole minutes (or hours) once they pass three minutes: « 2 min 00 s », not « 1 min 40 s ». */
function secondsStep(values) {
  const top = Math.max(0, ...values.filter((v) => typeof v === "number"));
  if (top <= 180) return undefined;
  return [60, 120, 300, 600, 900, 1800, 3600, 7200].find((step) => top / step <= 5) || 14400;
}

/** The axis and tooltip of one KPI: its unit's French format. */
function valueAxis(kpi, values) {
  return {
    beginAtZero: true,
    ticks: { callback: (v) => (kpi.unit === "seconds" && v >= 60 && v % 60 === 0 ? fmt.minutes(v) : fmt.value(v, kpi.unit)),
      maxTicksLimit: 7,
      precision: kpi.unit === "count" || kpi.unit === "seconds" ? 0 : undefined,
      stepSize: kpi.unit === "seconds" ? secondsStep(values) : undefined },
    grid: { color: "#eef1f5" },
  };
}

/** « Centre relation client Lyon » → « Lyon »: the region's centres all start alike. */
export const shortName = (label) => String(label).replace(/^Centre (relation client|convergent|de services) /, "");

function tooltip(kpi) {
  return { callbacks: { label: (item) => `${item.dataset.label} : ${fmt.value(item.raw, kpi.unit)}` } };
}

/** The KPI over the periods, one line per key (the ``MAX_SERIES`` keys with the most calls), or one bar per key
 * when the range is one period. ``onPick(row)`` gets the row of the clicked bar or point. Returns a note on what
 * is left out, or "". */
export function trend(canvas, rows, kpi, periodKind, onPick) {
  const periods = [...new Set(rows.map((r) => r.period_start))].sort();
  const byKey = new Map();
  for (const row of rows) {
    if (!byKey.has(row.key)) byKey.set(row.key, { label: row.label, rows: new Map(), calls: 0 });
    const series = byKey.get(row.key);
    series.rows.set(row.period_start, row);
    series.calls += row.calls || 0;
  }
  let note = "";
  if (periods.length <= 1) {
    const keys = [...byKey.values()];
    const data = keys.map((s) => s.rows.get(periods[0])[kpi.name]);
    draw(canvas, {
      type: "bar",
      data: { labels: keys.map((s) => shortName(s.label)), datasets: [{ label: kpi.label, data,
        backgroundColor: PALETTE[0], maxBarThickness: 22 }] },
      options: {
        maintainAspectRatio: false, animation: false, indexAxis: "y",
        scales: { x: valueAxis(kpi, data), y: { grid: { display: false }, ticks: { autoSkip: false } } },
        plugins: { legend: { display: false }, tooltip: tooltip(kpi) },
        onClick: (e, items) => { if (items.length) onPick(keys[items[0].index].rows.get(periods[0])); },
      },
    }, Math.min(340, 70 + 26 * keys.length));
    return note;
  }
  let series = [...byKey.values()];
  if (series.length > MAX_SERIES) {
    note = `Les ${MAX_SERIES} plus gros volumes d'appels sur ${series.length} : tous sont dans le tableau.`;
    series = series.sort((a, b) => b.calls - a.calls).slice(0, MAX_SERIES);
  }
  draw(canvas, {
    type: "line",
    data: {
      labels: periods.map((p) => fmt.periodTick(periodKind, p)),
      datasets: series.map((s, i) => ({
        label: shortName(s.label), data: periods.map((p) => (s.rows.has(p) ? s.rows.get(p)[kpi.name] : null)),
        borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], tension: 0.2,
        spanGaps: true, pointRadius: 2.5, borderWidth: 2,
      })),
    },
    options: {
      maintainAspectRatio: false, animation: false, interaction: { mode: "nearest", intersect: false },
      scales: { y: valueAxis(kpi, rows.map((r) => r[kpi.name])), x: { grid: { display: false } } },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 10, boxHeight: 10 } }, tooltip: tooltip(kpi) },
      onClick: (e, items) => {
        if (!items.length) return;
        const row = series[items[0].datasetIndex].rows.get(periods[items[0].index]);
        if (row) onPick(row);
      },
    },
  });
  return note;
}

/** The region's centres for one KPI, the centre compared in the accent colour, the median as a dashed line. */
export function centres(canvas, list, kpi, own, median) {
  const colours = list.map((c) => (c.key === own ? PALETTE[0] : "#9aa7b6"));
  const data = list.map((c) => c[kpi.name]);
  const datasets = [{ type: "bar", label: kpi.label, data, backgroundColor: colours, maxBarThickness: 48, order: 2 }];
  if (median !== null && median !== undefined) {
    datasets.push({ type: "line", label: "Médiane de la région", data: list.map(() => median), borderColor: "#c2410c",
      borderDash: [5, 4], borderWidth: 2, pointRadius: 0, order: 1 });
  }
  draw(canvas, {
    data: { labels: list.map((c) => shortName(c.label)), datasets },
    options: {
      maintainAspectRatio: false, animation: false,
      scales: { y: valueAxis(kpi, data), x: { grid: { display: false } } },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 10, boxHeight: 10 } }, tooltip: tooltip(kpi) },
    },
  });
}
