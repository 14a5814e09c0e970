// From a figure to the calls behind it (paginated, exported as CSV), and from a call to its trace, event by event.
// Names, labels and the trace's data are shown as text (textContent), never as markup.

import { api } from "../js/api.js";
import { auth, devSignIn } from "../js/auth.js";
import { $, el, testid } from "../js/dom.js";
import * as fmt from "./format.js";
import { actLabel, journeyLabel } from "./view.js";

const PAGE = 50;
const drill = { params: null, title: "", offset: 0, total: 0, loads: 0 };
let onError = () => {};

export function setupDrill(fail) {
  onError = fail;
  $("drill-prev").addEventListener("click", () => page(drill.offset - PAGE));
  $("drill-next").addEventListener("click", () => page(drill.offset + PAGE));
  $("drill-close").addEventListener("click", () => { $("drill-area").hidden = true; });
  $("timeline-close").addEventListener("click", () => { $("timeline").hidden = true; });
  $("drill-csv").addEventListener("click", () => exportCsv().catch(onError));
}

/** The calls behind a figure: ``params`` as /api/kpis/calls reads them (level, key, period, period_start, kpi,
 * from, to); ``title`` says which figure. */
export function showCalls(params, title) {
  drill.params = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  drill.title = title;
  $("drill-area").hidden = false;
  $("timeline").hidden = true;
  $("drill-title").textContent = `Appels · ${title}`;
  page(0).then(() => $("drill").scrollIntoView({ block: "start" })).catch(onError);
}

async function page(offset) {
  drill.offset = Math.max(0, offset);
  const load = ++drill.loads;
  const query = new URLSearchParams({ ...drill.params, limit: String(PAGE), offset: String(drill.offset) });
  const body = $("drill-calls");
  body.setAttribute("aria-busy", "true");
  try {
    const found = await api("GET", `/api/kpis/calls?${query}`);
    if (load !== drill.loads) return;
    drill.total = found.total;
    body.replaceChildren(...found.calls.map(callRow));
    if (!found.calls.length) {
      const td = el("td", "Aucun appel derrière ce chiffre.", "muted");
      td.colSpan = 11;
      const tr = el("tr");
      tr.append(td);
      body.append(tr);
    }
    const range = found.from === found.to ? `le ${fmt.day(found.from)}` : `du ${fmt.day(found.from)} au ${fmt.day(found.to)}`;
    $("drill-what").textContent = `${fmt.count(found.total)} appel${found.total > 1 ? "s" : ""} ${range}, les plus `
      + "récents d'abord. Cliquez sur un appel pour son déroulé.";
    const last = Math.min(drill.offset + found.calls.length, found.total);
    $("drill-page").textContent = found.total ? `${fmt.count(drill.offset + 1)}–${fmt.count(last)} sur `
      + `${fmt.count(found.total)}` : "";
    $("drill-prev").disabled = drill.offset === 0;
    $("drill-next").disabled = last >= found.total;
    $("drill-csv").disabled = found.total === 0;
  } finally {
    if (load === drill.loads) body.removeAttribute("aria-busy");
  }
}

const seconds = (v) => el("td", fmt.duration(v), "num");

function callRow(call) {
  const tr = testid(el("tr", null, "call-row"), "drill-call");
  tr.dataset.callId = call.call_id;
  const open = el("button", fmt.moment(call.started_at), "link");
  open.type = "button";
  open.title = `Déroulé de l'appel ${call.call_id}`;
  open.addEventListener("click", () => showTimeline(call.call_id).catch(onError));
  const first = el("td");
  first.append(open);
  const journey = el("td", call.journey_label || journeyLabel(call.journey), "journey-cell");
  journey.title = call.corrected ? `${journey.textContent} (corrigé par le conseiller)` : journey.textContent;
  if (call.corrected) journey.prepend(el("span", "corrigé", "pill pill-warn"), " ");
  const repeat = [call.repeat && "rappel", call.recontacted && "rappelé"].filter(Boolean).join(" · ");
  tr.append(first, el("td", call.advisor_label || call.advisor || "—"), journey, el("td", call.state_label),
    seconds(call.handling_s), seconds(call.talk_s), seconds(call.hold_s),
    el("td", call.transfer ? fmt.TRANSFER_MODES[call.transfer] || call.transfer : "—"),
    el("td", fmt.count(call.acts_done), "num"), el("td", repeat || "—"),
    el("td", call.gesture_amount ? fmt.value(call.gesture_amount, "euros") : "—", "num"));
  tr.addEventListener("click", (e) => { if (e.target === tr || e.target.tagName === "TD") open.click(); });
  return tr;
}

/** The CSV of the same calls (all of them, not one page): fetched with the token, saved by the browser. */
async function exportCsv() {
  const query = new URLSearchParams(drill.params);
  let r = await fetch(`/api/kpis/calls.csv?${query}`, { headers: { Authorization: `Bearer ${auth.token}` } });
  if (r.status === 401 && auth.devLogin) {
    await devSignIn(auth.devLogin);
    r = await fetch(`/api/kpis/calls.csv?${query}`, { headers: { Authorization: `Bearer ${auth.token}` } });
  }
  if (!r.ok) {
    let detail = `erreur ${r.status}`;
    try { detail = (await r.json()).detail || detail; } catch (err) { /* not JSON */ }
    throw new Error(`Export impossible : ${detail}`);
  }
  const name = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
  const url = URL.createObjectURL(await r.blob());
  const a = el("a");
  a.href = url;
  a.download = name ? name[1] : "appels.csv";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// -- the timeline --------------------------------------------------------------------------------------------
export async function showTimeline(callId) {
  const found = await api("GET", `/api/kpis/calls/${encodeURIComponent(callId)}/timeline`);
  const call = found.call;
  const facts = [
    ["Appel", call.call_id], ["Conseiller", call.advisor_label || call.advisor || "—"],
    ["Début", fmt.time(call.started_at, true)], ["État", call.state_label],
    ["Parcours", call.corrected ? `${call.journey_label || "—"} (corrigé)` : call.journey_label || "—"],
    ["DMT", fmt.duration(call.handling_s)], ["Conversation", fmt.duration(call.talk_s)],
    ["Attente", fmt.duration(call.hold_s)],
  ];
  if (call.transfer) facts.push(["Transfert", fmt.TRANSFER_MODES[call.transfer] || call.transfer]);
  const dl = $("timeline-call");
  dl.replaceChildren();
  for (const [term, value] of facts) dl.append(el("dt", term), el("dd", value));
  $("timeline-events").replaceChildren(...found.events.map(eventItem));
  $("drill-area").hidden = false;
  const panel = $("timeline");
  panel.hidden = false;
  panel.dataset.callId = call.call_id;
  panel.scrollIntoView({ block: "nearest" });
  panel.focus({ preventScroll: true });
}

function eventItem(event) {
  const li = testid(el("li", null, `event event-${event.name.split(".")[0]}`), "timeline-event");
  li.dataset.name = event.name;
  const head = el("div", null, "event-head");
  head.append(el("span", fmt.offset(event.offset_s), "event-offset"), el("span", fmt.time(event.at), "event-time"),
    testid(el("strong", fmt.eventLabel(event.name), "event-label"), "event-label"));
  if (event.actor && event.actor !== "copilot") head.append(el("span", event.actor, "event-actor"));
  li.append(head);
  const detail = details(event.name, event.data || {});
  if (detail) li.append(testid(el("div", detail, "event-detail"), "event-detail"));
  const keys = Object.keys(event.data || {});
  if (keys.length) {
    const more = el("details", null, "event-data");
    more.append(el("summary", "Données"), el("pre", JSON.stringify(event.data, null, 1)));
    li.append(more);
  }
  return li;
}

const act = (d) => d.label || (d.act ? actLabel(d.act) : "");
const pct = (v) => (typeof v === "number" ? ` (${fmt.value(v, "ratio")})` : "");

/** The few things a supervisor reads in an event, in French. */
function details(name, d) {
  switch (name) {
    case "call.offered": return [d.agent && `Présenté à ${d.agent}`, d.reason && `« ${d.reason} »`]
      .filter(Boolean).join(" · ");
    case "call.ended": {
      const t = d.durations || {};
      return [["sonnerie", t.ring_s], ["conversation", t.talk_s], ["attente", t.hold_s]]
        .filter(([, v]) => typeof v === "number").map(([k, v]) => `${k} ${fmt.duration(v)}`).join(" · ");
    }
    case "call.wrapup": return typeof d.wrapup_s === "number" ? `Après-appel ${fmt.duration(d.wrapup_s)}` : "";
    case "nlu.predicted": return d.journey ? `${journeyLabel(d.journey)}${pct(d.confidence)}` : "Aucun parcours";
    case "nlu.corrected": return `${d.predicted ? journeyLabel(d.predicted) : "—"} → ${journeyLabel(d.journey)}`;
    case "act.suggested": return (d.acts || []).map(actLabel).join(", ");
    case "act.opened": case "act.previewed": case "act.cancelled": return act(d);
    case "act.done": return [act(d), d.summary].filter(Boolean).join(" : ");
    case "act.refused": return [act(d), d.reason].filter(Boolean).join(" : ");
    case "transfer.requested": case "transfer.acknowledged": case "transfer.declined": case "transfer.closed":
    case "transfer.picked_up": {
      const parts = [d.team_label || d.team, d.mode && fmt.TRANSFER_MODES[d.mode], d.reason];
      if (typeof d.to_ack_s === "number") parts.push(`acquitté en ${fmt.duration(d.to_ack_s)}`);
      if (typeof d.to_resolve_s === "number") parts.push(`clos en ${fmt.duration(d.to_resolve_s)}`);
      return parts.filter(Boolean).join(" · ");
    }
    default: return "";
  }
}
