// The supervisor's steering page: filters, the live strip and board, the KPI chart and table (every figure opens
// the calls behind it), a centre beside its region, the acts per journey. Everything comes from /api/kpis…, in the
// reader's scope; every name and label goes into the page as text.

import { api, ApiError, signInAsMe } from "../js/api.js";
import { showAuthError } from "../js/auth.js";
import { $, el, say, testid } from "../js/dom.js";
import * as charts from "./charts.js";
import { setupDrill, showCalls, showTimeline } from "./drill.js";
import * as fmt from "./format.js";
import { startLive } from "./live.js";
import { capital, def, levelName, view } from "./view.js";

const MAIN = ["calls", "abandoned", "dmt_s", "transfer_rate", "acts_done", "acts_per_call", "suggestion_acceptance",
  "nlu_correction_rate", "repeat_contact_rate", "offer_acceptance_rate", "gesture_amount"];
const SHORT = {
  calls: "Appels", abandoned: "Perdus", dmt_s: "DMT", transfer_rate: "Transferts", acts_done: "Actes",
  acts_per_call: "Actes / appel", suggestion_acceptance: "Suggestions suivies", nlu_correction_rate: "Correction NLU",
  repeat_contact_rate: "Rappels 7 j", offer_acceptance_rate: "Transformation", gesture_amount: "Gestes",
};
const MAX_ROWS = 400;
const REFRESH_MS = 30000;  // the table and chart follow the live view at most this often
const SCOPE_KINDS = { region: "Région", team: "", own: "Mes chiffres :" };
const table = { all: false, sort: null, desc: true, loads: 0, loadedAt: 0 };

/** A refusal or an error, in French as the API said it (a 422 says which field is wrong, and why). */
function fail(err) {
  const fields = err instanceof ApiError && Array.isArray(err.problem.errors)
    ? err.problem.errors.map((e) => e.message).join(" ") : "";
  say($("notice"), `${err instanceof Error ? err.message : String(err)} ${fields}`.trim());
}

const kpiQuery = (extra = {}) => new URLSearchParams(Object.entries({
  period: view.period, from: view.from, to: view.to, ...extra,
}).filter(([, v]) => v));

// -- the KPI rows: table and chart -----------------------------------------------------------------------
async function loadFigures(quiet = false) {
  const load = ++table.loads;
  if (!quiet) $("kpi-rows").setAttribute("aria-busy", "true");
  try {
    const found = await api("GET", `/api/kpis?${kpiQuery({ level: view.level, centre: view.centre, team: view.team })}`);
    if (load !== table.loads) return;
    if (!quiet) say($("notice"), "");
    view.rows = found.rows;
    view.totals = found.totals;
    table.loadedAt = Date.now();
    renderTable();
    renderTrend();
  } catch (err) {
    if (load === table.loads) fail(err);
  } finally {
    if (load === table.loads) $("kpi-rows").removeAttribute("aria-busy");
  }
}

function columns() {
  return table.all ? view.defs.map((d) => d.name) : MAIN.filter((name) => name in view.byName);
}

function renderTable() {
  const names = columns();
  const head = $("kpi-head");
  head.replaceChildren(el("th", capital(levelName(view.level))), el("th", "Période"));
  for (const name of names) {
    const kpi = def(name);
    const th = el("th", null, "num");
    const sort = el("button", table.all ? kpi.label : SHORT[name] || kpi.label, "sort");
    sort.type = "button";
    sort.title = `${kpi.label} : ${kpi.formula}`;
    sort.addEventListener("click", () => {
      table.desc = table.sort === name ? !table.desc : true;
      table.sort = name;
      renderTable();
    });
    if (table.sort === name) th.setAttribute("aria-sort", table.desc ? "descending" : "ascending");
    th.append(sort);
    head.append(th);
  }
  let rows = [...view.rows];
  if (table.sort) {
    const s = table.sort;
    const missing = (v) => v === null || v === undefined;
    rows.sort((a, b) => (missing(a[s]) ? 1 : 0) - (missing(b[s]) ? 1 : 0)
      || (table.desc ? b[s] - a[s] : a[s] - b[s]));
  }
  const shown = rows.slice(0, MAX_ROWS);
  $("kpi-rows").replaceChildren(...shown.map((row) => figureRow(row, names)));
  const range = view.from === view.to ? `le ${fmt.day(view.from)}` : `du ${fmt.day(view.from)} au ${fmt.day(view.to)}`;
  $("figures-title").textContent = `Indicateurs par ${levelName(view.level)}, ${range}`;
  $("figures-note").textContent = rows.length > MAX_ROWS
    ? `${fmt.count(MAX_ROWS)} lignes affichées sur ${fmt.count(rows.length)} : resserrez les filtres.` : "";
  const total = el("tr", null, "totals");
  total.append(el("th", `Total ${scopeLabel()}`), el("td", ""));
  for (const name of names) total.append(figure(view.totals, name, totalsDrill(name)));
  $("kpi-totals").replaceChildren(total);
}

function figureRow(row, names) {
  const tr = testid(el("tr"), "kpi-row");
  tr.dataset.key = row.key;
  const label = el("th", charts.shortName(row.label), "row-label");
  label.scope = "row";
  label.title = row.label;
  if (row.label !== row.key) label.append(el("span", row.key, "key"));
  tr.append(label, el("td", fmt.period(view.period, row.period_start), "nowrap"));
  for (const name of names) tr.append(figure(row, name, rowDrill(row, name)));
  return tr;
}

/** A figure cell: the value, a button that opens the calls behind it. */
function figure(values, name, drill) {
  const kpi = def(name);
  const td = el("td", null, "num");
  const b = testid(el("button", fmt.value(values ? values[name] : null, kpi.unit), "cell"), `cell-${name}`);
  b.type = "button";
  b.title = `${kpi.label} : ${kpi.formula}. Voir les appels.`;
  b.addEventListener("click", () => showCalls(drill.params, drill.title));
  td.append(b);
  return td;
}

function rowDrill(row, name) {
  return {
    params: { level: row.level, key: row.key, period: view.period, period_start: row.period_start, kpi: name,
      from: view.from, to: view.to },
    title: `${def(name).label} · ${row.label} · ${fmt.period(view.period, row.period_start)}`,
  };
}

/** The totals' calls: the whole scope, or the centre or team the filters narrowed to. */
function totalsDrill(name) {
  const narrowed = view.team ? { level: "team", key: view.team } : view.centre ? { level: "centre", key: view.centre }
    : {};
  return { params: { ...narrowed, kpi: name, from: view.from, to: view.to },
    title: `${def(name).label} · total ${scopeLabel()}` };
}

function scopeLabel() {
  if (view.team) return $("f-team").selectedOptions[0].textContent;
  if (view.centre) return $("f-centre").selectedOptions[0].textContent;
  return view.scope.label;
}

function renderTrend() {
  if (!charts.available()) return;
  const kpi = def($("kpi-picker").value);
  const note = charts.trend($("trend-chart"), view.rows, kpi, view.period, (row) => {
    const drill = rowDrill(row, kpi.name);
    showCalls(drill.params, drill.title);
  });
  say($("trend-note"), note);
}

// -- a centre beside its region ------------------------------------------------------------------------------
async function loadCompare() {
  const centre = $("compare-centre").value;
  if (!centre) return;
  const found = await api("GET", `/api/kpis/compare?${new URLSearchParams({ centre, from: view.from, to: view.to })}`);
  view.compare = found;
  const chosen = $("kpi-picker").value;
  $("compare-head").textContent = `${found.centre.label} parmi les ${found.centres.length} centres de la région `
    + `${found.region.label}. Rang 1 : le meilleur.`;
  $("compare-kpis").replaceChildren(...found.kpis.map((k) => {
    const tr = testid(el("tr", null, k.name === chosen ? "selected" : ""), "compare-kpi");
    tr.dataset.kpi = k.name;
    const pick = el("button", k.label, "link");
    pick.type = "button";
    pick.title = "Afficher cet indicateur dans les graphiques";
    pick.addEventListener("click", () => { $("kpi-picker").value = k.name; pickKpi(); });
    const name = el("td");
    name.append(pick);
    const gap = el("td", fmt.gap(k.gap, k.unit), `num ${fmt.verdict(k.gap, k.better, k.unit)}`);
    tr.append(name, el("td", fmt.value(k.value, k.unit), "num"), el("td", fmt.value(k.median, k.unit), "num"), gap,
      testid(el("td", k.better ? fmt.rank(k.rank, k.of) : "—", "num nowrap"), "compare-rank"));
    return tr;
  }));
  renderCompareChart();
}

function renderCompareChart() {
  if (!charts.available() || !view.compare) return;
  const name = $("kpi-picker").value;
  const median = view.compare.kpis.find((k) => k.name === name);
  charts.centres($("compare-chart"), view.compare.centres, def(name), view.compare.centre.code,
    median ? median.median : null);
}

function pickKpi() {
  renderTrend();
  renderCompareChart();
  for (const tr of document.querySelectorAll("#compare-kpis tr")) {
    tr.classList.toggle("selected", tr.dataset.kpi === $("kpi-picker").value);
  }
}

// -- the acts per journey -----------------------------------------------------------------------------------
async function loadActs() {
  const narrowed = view.team ? { level: "team", key: view.team } : view.centre ? { level: "centre", key: view.centre }
    : { level: view.scope.levels[view.scope.levels.length - 1] };
  const found = await api("GET", `/api/kpis/acts?${new URLSearchParams({ ...narrowed, from: view.from, to: view.to })}`);
  const journeys = new Map();
  for (const act of found.acts) {
    if (!journeys.has(act.journey_label)) journeys.set(act.journey_label, []);
    journeys.get(act.journey_label).push(act);
  }
  const rows = [];
  for (const [label, acts] of journeys) {
    const sum = (field) => acts.reduce((n, a) => n + a[field], 0);
    const toggle = el("button", label, "link toggle");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    const head = el("th");
    head.scope = "row";
    head.append(toggle, el("span", ` ${acts.length} acte${acts.length > 1 ? "s" : ""}`, "muted small"));
    const tr = testid(el("tr", null, "journey-row"), "acts-journey");
    tr.append(head, ...[sum("done"), sum("suggested_done"), sum("cancelled"), sum("refused")]
      .map((n) => el("td", fmt.count(n), "num")), el("td", "", "num"));
    const members = acts.map((a) => {
      const row = testid(el("tr", null, "act-row"), "acts-row");
      row.hidden = true;
      row.append(el("td", a.act_label, "act-name"), ...[a.done, a.suggested_done, a.cancelled, a.refused]
        .map((n) => el("td", fmt.count(n), "num")), el("td", fmt.duration(a.act_s), "num"));
      return row;
    });
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      for (const row of members) row.hidden = !open;
    });
    rows.push(tr, ...members);
  }
  $("acts-rows").replaceChildren(...rows);
  $("acts-empty").hidden = found.acts.length > 0;
}

// -- filters ------------------------------------------------------------------------------------------------
/** The filters as the API reads them; false (and said, the field focused) when a date is wrong. */
function readFilters() {
  const days = {};
  for (const id of ["f-from", "f-to"]) {
    const input = $(id);
    const text = input.value.trim();
    days[id] = text ? fmt.isoDay(text) : "";
    input.toggleAttribute("aria-invalid", days[id] === null);
    if (days[id] === null) {
      say($("notice"), `Date invalide : « ${text} ». Écrivez-la jj/mm/aaaa, par exemple 01/12/2026.`);
      input.focus();
      return false;
    }
  }
  view.from = days["f-from"] || days["f-to"] || view.from;
  view.to = days["f-to"] || view.from;
  $("f-from").value = fmt.day(view.from);
  $("f-to").value = fmt.day(view.to);
  view.level = $("f-level").value;
  view.period = $("f-period").value;
  view.centre = $("f-centre").value;
  view.team = $("f-team").value;
  return true;
}

function refresh() {
  if (!readFilters()) return;
  loadFigures();
  loadActs().catch(fail);
  if (!$("compare").hidden) loadCompare().catch(fail);
}

function options(select, items, keep) {
  select.append(...items.map((i) => new Option(i.label, i.key)));
  if (keep) select.value = keep;
}

async function setUp(first) {
  const scope = first.scope;
  view.scope = scope;
  const kind = SCOPE_KINDS[scope.kind];
  $("scope").textContent = kind ? `${kind} ${scope.label}` : scope.label;
  $("scope").hidden = false;
  $("f-level").replaceChildren(...scope.levels.map((l) => new Option(capital(scope.level_labels[l] || l), l)));
  view.level = scope.levels.includes("centre") ? "centre" : "advisor";
  $("f-level").value = view.level;
  $("f-from").value = fmt.day(first.from);
  $("f-to").value = fmt.day(first.to);
  view.from = first.from;
  view.to = first.to;
  const lists = await Promise.all(["centre", "team"].map((level) => (scope.levels.includes(level)
    ? api("GET", `/api/kpis?${kpiQuery({ level })}`).then((r) => r.rows) : [])));
  const [centres, teams] = lists;
  $("f-centre-label").hidden = centres.length < 2;
  options($("f-centre"), centres);
  $("f-team-label").hidden = teams.length < 2;
  options($("f-team"), teams);
  $("kpi-picker").replaceChildren(...view.defs.map((d) => new Option(d.label, d.name)));
  $("kpi-picker").value = "dmt_s" in view.byName ? "dmt_s" : view.defs[0].name;
  if (scope.kind === "region" && centres.length) {
    $("compare").hidden = false;
    const own = scope.centre || [...centres].sort((a, b) => b.calls - a.calls)[0].key;
    options($("compare-centre"), centres, own);
  }
  if (view.level === "advisor") {
    view.rows = first.rows;
    view.totals = first.totals;
    renderTable();
    renderTrend();
  } else {
    await loadFigures();
  }
}

function listen() {
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  for (const id of ["f-level", "f-period", "f-centre", "f-team"]) $(id).addEventListener("change", refresh);
  $("kpi-picker").addEventListener("change", pickKpi);
  $("compare-centre").addEventListener("change", () => loadCompare().catch(fail));
  $("all-kpis").addEventListener("click", () => {
    table.all = !table.all;
    $("all-kpis").setAttribute("aria-pressed", String(table.all));
    $("all-kpis").textContent = table.all ? "Indicateurs principaux" : "Tous les indicateurs";
    renderTable();
  });
  setupDrill(fail);
}

/** The labels of journeys and acts for the timeline (the catalogue any signed-in advisor reads). */
async function loadLabels() {
  const [journeys, acts] = await Promise.all([api("GET", "/api/journeys"), api("GET", "/api/acts")]);
  view.journeys = Object.fromEntries(journeys.map((j) => [j.code, j.label]));
  view.acts = Object.fromEntries(acts.map((a) => [a.code, a.label]));
}

/** A live frame: the table and chart follow it when their range holds today (at most every 30 s). */
function followLive(frame) {
  if (view.to >= frame.day && view.from <= frame.day && Date.now() - table.loadedAt > REFRESH_MS) loadFigures(true);
}

async function start() {
  let first;
  try {
    await signInAsMe();
    const defs = await api("GET", "/api/kpis/definitions");  // a profile without figures: its French refusal
    view.defs = defs.kpis;
    view.byName = Object.fromEntries(defs.kpis.map((d) => [d.name, d]));
    first = await api("GET", "/api/kpis?level=advisor&period=day");  // every scope has the advisor level
  } catch (err) {
    showAuthError(err.message);
    return;
  }
  loadLabels().catch(() => {});  // codes are shown instead of labels without them
  listen();
  $("charts-missing").hidden = charts.available();
  $("steering").hidden = false;
  try {
    await setUp(first);
  } catch (err) {
    fail(err);
  }
  loadActs().catch(fail);
  if (!$("compare").hidden) loadCompare().catch(fail);
  startLive({ frame: followLive, drill: showCalls, call: (id) => showTimeline(id).catch(fail) });
}

start();
