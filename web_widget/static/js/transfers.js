// Level 1's transfers to level 2: « Transférer » on the current call opens the form (team, warm or cold,
// the prerequisites' checklist, the handover's preview and its editable text), then a status card per
// transfer sent, updated by the socket's transfer_update frames (acknowledged, declined, closed…).
//
//   open / tick / team → GET  /api/calls/{call}/transfer?to=&checked=   → the draft
//   Envoyer            → POST /api/calls/{call}/transfer {mode, to, checked, handover_text} (409: detail + checklist)
//   Annuler le transfert → POST /api/transfers/{id}/cancel
//   on hello           → GET  /api/transfers (the open ones sent are shown again)

import { api } from "./api.js";
import { auth, can } from "./auth.js";
import { $, button, el, errorLine, say, testid } from "./dom.js";
import { frTime, handoverView } from "./handover.js";
import { state } from "./state.js";

export const TRANSFER_REQUEST = "transfer:request";
const OPEN = new Set(["requested", "waiting", "acknowledged", "picked_up"]);
const UNTAKEN = new Set(["requested", "waiting"]);
const OVER = new Set(["ended", "expired", "transferred_cold"]);

const sent = new Map();  // transfer id → {transfer (summary), byName, event}
let form = null;  // the form open: {callId, draft, seq, node, …}

// -- the « Transférer » button ------------------------------------------------------------------------------
function openOnCall(callId) {
  return [...sent.values()].find((s) => s.transfer.call_id === callId && OPEN.has(s.transfer.status));
}

/** The call shown changed (a pop): the button follows, a form for another call is closed. */
export function transferCallShown() {
  if (form && form.callId !== state.call) closeForm(false);
  renderButton();
}

function renderButton() {
  const b = $("transfer-open");
  b.hidden = !can(TRANSFER_REQUEST) || !state.call || !!openOnCall(state.call);
  b.setAttribute("aria-expanded", form ? "true" : "false");
}

export function setupTransfers() {
  $("transfer-open").addEventListener("click", () => {
    if (form) { $("transfer-team").focus(); return; }
    openForm(state.call);
  });
}

// -- the form ------------------------------------------------------------------------------------------------
function draftPath(callId, team, checked) {
  const query = new URLSearchParams();
  if (team) query.set("to", team);
  for (const code of checked) query.append("checked", code);
  const qs = query.toString();
  return `/api/calls/${encodeURIComponent(callId)}/transfer${qs ? `?${qs}` : ""}`;
}

function closeForm(refocus = true) {
  form = null;
  const panel = $("transfer-panel");
  panel.replaceChildren();
  panel.hidden = true;
  renderButton();
  if (refocus && !$("transfer-open").hidden) $("transfer-open").focus();
}

async function openForm(callId) {
  const panel = $("transfer-panel");
  const title = el("h3", "Transfert au niveau 2", "act-title");
  title.tabIndex = -1;
  panel.replaceChildren(title, el("p", "Préparation du transfert…", "muted"));
  panel.hidden = false;
  form = { callId, draft: null, seq: 0, team: null, mode: OVER.has(state.callState) ? "cold" : "warm",
    typed: null };
  renderButton();
  title.focus();
  const current = form;
  try {
    const draft = await api("GET", draftPath(callId, null, []));
    if (form !== current) return;
    current.draft = draft;
    current.team = draft.team;
    renderForm(current);
    $("transfer-team").focus();
  } catch (err) {
    if (form !== current) return;
    const p = testid(el("p", `Transfert impossible : ${err.message}`, "form-error"), "transfer-error");
    p.setAttribute("role", "alert");
    panel.replaceChildren(title, p, testid(button("Fermer", "secondary-button", () => closeForm()),
      "transfer-cancel-form"));
  }
}

/** The codes the advisor ticked (those done in the trace are not theirs to tick). */
function ticked() {
  return [...$("transfer-panel").querySelectorAll("input[data-prereq]:checked:not(:disabled)")]
    .map((i) => i.dataset.prereq);
}

async function refreshDraft(current) {
  const seq = ++current.seq;
  current.typed = textEdited(current);
  try {
    const draft = await api("GET", draftPath(current.callId, current.team, ticked()));
    if (form !== current || seq !== current.seq) return;
    current.draft = draft;
    renderForm(current, document.activeElement && document.activeElement.dataset.testid);
  } catch (err) {
    if (form === current) say(current.error, `Brouillon non mis à jour : ${err.message}`);
  }
}

function textEdited(current) {
  const area = $("transfer-text");
  if (!area || !current.draft) return current.typed;
  return area.value !== current.draft.handover.text ? area.value : null;
}

function prerequisiteLine(p, current) {
  const li = testid(el("li", null, "check-line prereq"), `transfer-prereq-line-${p.code}`);
  const id = `transfer-prereq-${p.code}`;
  const box = testid(document.createElement("input"), id);
  box.type = "checkbox";
  box.id = id;
  box.dataset.prereq = p.code;
  box.checked = p.done;
  box.disabled = p.done && p.source === "trace";
  box.addEventListener("change", () => refreshDraft(current));
  const label = el("label", p.label);
  label.htmlFor = id;
  const text = el("div", null, "prereq-text");
  text.append(label);
  if (p.blocking) text.append(" ", el("span", "bloquant", p.done ? "pill pill-on" : "pill pill-block"));
  else text.append(" ", el("span", "conseillé", "pill"));
  if (p.done && p.source === "trace" && p.evidence) text.append(el("div", p.evidence, "prereq-evidence"));
  if (p.done && p.source === "advisor") text.append(el("div", "coché par vous", "prereq-evidence"));
  li.append(box, text);
  return li;
}

function renderChecklist(current, items) {
  const ul = $("transfer-prereqs");
  ul.replaceChildren(...items.map((p) => prerequisiteLine(p, current)));
  const missing = items.filter((p) => p.blocking && !p.done);
  say($("transfer-blocked"), missing.length
    ? `À faire ou à cocher avant l'envoi : ${missing.map((p) => p.label).join(" ; ")}.` : "");
}

function renderForm(current, focusId) {
  const { draft } = current;
  const panel = $("transfer-panel");
  const node = testid(el("form", null, "act-form transfer-form"), "transfer-form");
  node.noValidate = true;
  node.setAttribute("aria-labelledby", "transfer-form-title");
  const title = el("h3", `Transfert au niveau 2 — ${draft.handover.customer_name || "client non identifié"}`,
    "act-title");
  title.id = "transfer-form-title";
  title.tabIndex = -1;

  const teamRow = el("div", null, "edit-input");
  const teamLabel = el("label", "Équipe");
  teamLabel.htmlFor = "transfer-team";
  const select = testid(document.createElement("select"), "transfer-team");
  select.id = "transfer-team";
  for (const t of draft.teams) {
    const proposed = t.team === draft.proposed.team;
    select.append(new Option(`${t.label} (${t.basket})${proposed ? " — proposé" : ""}`, t.team, false,
      t.team === draft.team));
  }
  select.addEventListener("change", () => { current.team = select.value; refreshDraft(current); });
  teamRow.append(teamLabel, select);
  if (draft.team !== draft.proposed.team) {
    teamRow.append(el("p", `Proposé pour cet appel : ${draft.proposed.label}.`, "muted small"));
  }

  const modes = el("fieldset", null, "act-steps transfer-modes");
  modes.append(el("legend", "Mode"));
  const over = OVER.has(state.callState);
  for (const [value, label, hint] of [
    ["warm", "À chaud", "le N2 accuse réception, puis prend l'appel"],
    ["cold", "À froid", "le dossier attend dans la corbeille"]]) {
    const id = `transfer-mode-${value}`;
    const line = el("div", null, "check-line");
    const radio = testid(document.createElement("input"), id);
    radio.type = "radio";
    radio.name = "transfer-mode";
    radio.id = id;
    radio.value = value;
    radio.checked = current.mode === value;
    radio.disabled = value === "warm" && over;
    radio.addEventListener("change", () => { if (radio.checked) current.mode = value; });
    const l = el("label", label);
    l.htmlFor = id;
    line.append(radio, l, el("span", `— ${value === "warm" && over ? "appel terminé" : hint}`, "muted small"));
    modes.append(line);
  }

  const checks = el("fieldset", null, "act-steps");
  checks.append(el("legend", "Prérequis"));
  const ul = testid(el("ul", null, "prereqs"), "transfer-prereqs");
  ul.id = "transfer-prereqs";
  const blocked = testid(el("p", null, "warning small"), "transfer-blocked");
  blocked.id = "transfer-blocked";
  blocked.hidden = true;
  checks.append(ul, blocked);

  const preview = el("details", null, "transfer-preview");
  preview.open = true;
  preview.append(el("summary", "Aperçu de la passation"), handoverView(draft.handover, null, "transfer-handover"));

  const textRow = el("div", null, "edit-input");
  const textLabel = el("label", "Texte de la passation (modifiable)");
  textLabel.htmlFor = "transfer-text";
  const area = testid(document.createElement("textarea"), "transfer-text");
  area.id = "transfer-text";
  area.rows = 8;
  area.maxLength = 5000;
  area.value = current.typed !== null ? current.typed : draft.handover.text;
  textRow.append(textLabel, area);

  current.error = errorLine("form-error", "transfer-error");
  current.error.setAttribute("role", "alert");
  const send = testid(button("Envoyer le transfert", null, null, "submit"), "transfer-send");
  const actions = el("div", null, "row edit-actions");
  actions.append(testid(button("Annuler", "secondary-button", () => closeForm()), "transfer-cancel-form"), send);

  node.append(title, teamRow, modes, checks, preview, textRow, current.error, actions);
  node.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); closeForm(); }
  });
  node.addEventListener("submit", (e) => { e.preventDefault(); submit(current, send); });
  panel.replaceChildren(node);
  renderChecklist(current, draft.prerequisites);
  if (focusId) {
    const again = panel.querySelector(`[data-testid="${CSS.escape(focusId)}"]`);
    if (again) again.focus();
  }
}

async function submit(current, send) {
  const area = $("transfer-text");
  const text = area.value.trim();
  const body = { mode: current.mode, to: current.team, checked: ticked(),
    handover_text: text && text !== current.draft.handover.text.trim() ? area.value : null };
  send.disabled = true;
  say(current.error, "");
  try {
    const transfer = await api("POST", `/api/calls/${encodeURIComponent(current.callId)}/transfer`, body);
    if (form === current) closeForm(false);
    track(transfer, null, null);
    const card = cardOf(transfer.transfer_id);
    if (card) card.focus();
  } catch (err) {
    if (form !== current) return;
    const items = err.problem && err.problem.prerequisites;
    if (Array.isArray(items)) {
      current.draft.prerequisites = items;
      renderChecklist(current, items);
    }
    say(current.error, err.message);
    current.error.focus();
  } finally {
    send.disabled = false;
  }
}

// -- the transfers sent: one card each --------------------------------------------------------------------------
function cardOf(id) {
  return $("sent-transfers").querySelector(`[data-transfer="${CSS.escape(String(id))}"]`);
}

function track(transfer, byName, event) {
  sent.set(transfer.transfer_id, { transfer, byName: byName || transfer.to_advisor, event });
  renderCard(transfer.transfer_id);
  renderButton();
}

function statusText(t, byName) {
  const who = byName || t.to_advisor || "le niveau 2";
  switch (t.status) {
    case "requested": return `En attente d'accusé de réception — ${t.team_label}`;
    case "waiting": return `En corbeille ${t.basket}`;
    case "acknowledged":
    case "picked_up": return `Pris en charge par ${who}`;
    case "declined": return `Refusé par ${who} : ${t.decline_reason || "sans motif"}`;
    case "closed": return `Résultat du niveau 2 : ${t.outcome_label || t.outcome}${t.outcome_note
      ? ` — ${t.outcome_note}` : ""}`;
    case "cancelled": return "Transfert annulé";
    default: return t.status_label || t.status;
  }
}

const CARD_CLASS = { declined: "banner-error", closed: "banner-ok", acknowledged: "banner-ok",
  picked_up: "banner-ok", cancelled: "" };

function renderCard(id) {
  const entry = sent.get(id);
  const t = entry.transfer;
  let card = cardOf(id);
  if (!card) {
    card = testid(el("article", null, "card transfer-card"), "transfer-status");
    card.dataset.transfer = String(id);
    card.dataset.call = t.call_id;
    card.tabIndex = -1;
    $("sent-transfers").prepend(card);
  }
  card.dataset.status = t.status;
  const head = el("div", null, "transfer-card-head");
  head.append(el("div", `Transfert ${t.mode_label} — ${t.team_label}`, "transfer-card-title"),
    el("div", `Motif : ${t.journey_label || "non détecté"} · demandé à ${frTime(t.requested_at)}`, "muted small"));
  const line = testid(el("p", statusText(t, entry.byName), `banner transfer-state ${CARD_CLASS[t.status] || ""}`),
    t.status === "closed" ? "transfer-result" : "transfer-state");
  if (t.status === "closed" || t.status === "declined") line.setAttribute("role", "alert");
  const actions = el("div", null, "row transfer-card-actions");
  if (UNTAKEN.has(t.status)) {
    actions.append(testid(button("Annuler le transfert", "secondary-button", (e) => cancel(id, e.currentTarget)),
      "transfer-withdraw"));
  }
  if (t.status === "declined" && t.call_id === state.call && !openOnCall(t.call_id)) {
    actions.append(testid(button("Transférer à nouveau", null, () => openForm(t.call_id)), "transfer-again"));
  }
  if (!OPEN.has(t.status)) {
    actions.append(testid(button("Masquer", "link", () => { sent.delete(id); card.remove(); renderButton(); }),
      "transfer-dismiss"));
  }
  const error = errorLine("form-error", "transfer-card-error");
  card.replaceChildren(head, line, error);
  if (actions.childNodes.length) card.append(actions);
}

async function cancel(id, b) {
  b.disabled = true;
  try {
    track(await api("POST", `/api/transfers/${id}/cancel`), null, "cancelled");
  } catch (err) {
    const card = cardOf(id);
    if (card) say(card.querySelector("[data-testid='transfer-card-error']"), err.message);
    b.disabled = false;
  }
}

/** A transfer_update frame about a transfer this advisor sent. */
export function onSentUpdate(message) {
  const t = message.transfer;
  if (!t || t.from_advisor !== auth.login) return false;
  const known = sent.get(t.transfer_id);
  track(t, message.by_name || (known && known.byName), message.event);
  return true;
}

/** Signed in: the open transfers this advisor sent are shown again. */
export async function loadSent() {
  if (!can(TRANSFER_REQUEST)) return;
  let mine;
  try {
    mine = await api("GET", "/api/transfers");
  } catch (err) {
    console.warn("transfers unavailable", err);
    return;
  }
  for (const t of mine.reverse()) {
    if (t.direction === "sent" && (OPEN.has(t.status) || sent.has(t.transfer_id))) {
      const known = sent.get(t.transfer_id);
      track(t, known && known.byName, null);
    }
  }
}
