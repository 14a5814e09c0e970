// Level 2's « Transferts »: the warm transfers offered (transfer_offered) with their whole handover,
// « Accuser réception » or « Refuser » (with a reason); the team's baskets and what waits in them (« Prendre »
// for a cold one); the transfers taken, with the handover, the copilot conversation (cold) and « Clore ».
//
//   Accuser réception → POST /api/transfers/{id}/ack      (the call's pop follows on the socket)
//   Refuser           → POST /api/transfers/{id}/decline  {reason}
//   Prendre           → POST /api/transfers/{id}/pickup   (handover, 360°, conversation; the pop follows)
//   Clore             → POST /api/transfers/{id}/close    {outcome, note}
//   baskets           → GET  /api/baskets, GET /api/baskets/{code}/transfers (on updates and every 30 s)

import { api } from "./api.js";
import { auth, can } from "./auth.js";
import { $, button, el, errorLine, say, testid } from "./dom.js";
import { frAge, frTime, handoverView } from "./handover.js";

export const TRANSFER_RECEIVE = "transfer:receive";
const OUTCOMES = [["resolved", "Résolu"], ["unresolved", "Non résolu"],
  ["technician", "Intervention technicien programmée"], ["callback", "Rappel du client prévu"],
  ["redirected", "Réorienté vers un autre service"]];
const REFRESH_MS = 30000;
const GONE = new Set(["acknowledged", "declined", "picked_up", "cancelled", "closed"]);

const offers = new Map();  // transfer id → TransferView offered (warm, not taken yet)
const taken = new Map();   // transfer id → {transfer, conversation, closed}
let baskets = [];          // [{code, team, label, waiting, items: [BasketItem], at}]
let timer = null;
let loading = 0;

function area() { return $("transfers-area"); }

function show() {
  area().hidden = !can(TRANSFER_RECEIVE);
}

function titleOf(t) {
  const name = (t.handover && t.handover.customer_name) || t.customer_name || "client non identifié";
  return `${name} — ${t.journey_label || "motif non détecté"}`;
}

// -- offers (warm) --------------------------------------------------------------------------------------------
function renderOffers() {
  const box = $("transfer-offers");
  box.replaceChildren(...[...offers.values()].map(offerCard));
}

function offerCard(t) {
  const card = testid(el("article", null, "transfer-offer"), "transfer-offer");
  card.dataset.transfer = String(t.transfer_id);
  card.dataset.call = t.call_id;
  card.setAttribute("aria-label", `Transfert à chaud : ${titleOf(t)}`);
  const head = el("div", null, "transfer-offer-head");
  head.append(el("strong", `Transfert ${t.mode_label} — ${titleOf(t)}`),
    el("div", `de ${t.from_advisor} à ${frTime(t.requested_at)} · ${t.team_label}`, "muted small"));
  const error = errorLine("form-error", "transfer-offer-error");
  error.setAttribute("role", "alert");
  const actions = el("div", null, "row transfer-offer-actions");
  const ack = testid(button("Accuser réception", null, () => acknowledge(t, ack, error)), "transfer-ack");
  const refuse = testid(button("Refuser", "secondary-button", () => {
    decline.hidden = false;
    refuse.hidden = true;
    reason.focus();
  }), "transfer-decline");
  actions.append(refuse, ack);

  const decline = testid(el("form", null, "decline-form"), "transfer-decline-form");
  decline.noValidate = true;
  decline.hidden = true;
  const id = `decline-reason-${t.transfer_id}`;
  const label = el("label", "Motif du refus (transmis au niveau 1)");
  label.htmlFor = id;
  const reason = testid(document.createElement("input"), "transfer-decline-reason");
  reason.id = id;
  reason.required = true;
  reason.minLength = 3;
  reason.maxLength = 500;
  reason.autocomplete = "off";
  const reasonError = errorLine("field-error", "transfer-decline-error");
  reason.setAttribute("aria-describedby", `${id}-error`);
  reasonError.id = `${id}-error`;
  const confirm = testid(button("Confirmer le refus", null, null, "submit"), "transfer-decline-confirm");
  const back = button("Annuler", "secondary-button", () => {
    decline.hidden = true;
    refuse.hidden = false;
    refuse.focus();
  });
  const row = el("div", null, "row edit-actions");
  row.append(back, confirm);
  decline.append(label, reason, reasonError, row);
  decline.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); back.click(); } });
  decline.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = reason.value.trim();
    if (text.length < 3) {
      reason.setAttribute("aria-invalid", "true");
      say(reasonError, "Indiquez le motif du refus (3 caractères au moins).");
      reason.focus();
      return;
    }
    reason.removeAttribute("aria-invalid");
    say(reasonError, "");
    declineOffer(t, text, confirm, error);
  });
  card.append(head, handoverView(t.handover, t.edited_text, `offer-${t.transfer_id}`), error, actions, decline);
  return card;
}

async function acknowledge(t, b, error) {
  b.disabled = true;
  say(error, "");
  try {
    const view = await api("POST", `/api/transfers/${t.transfer_id}/ack`);
    offers.delete(t.transfer_id);
    taken.set(t.transfer_id, { transfer: view, conversation: undefined });
    render();
    focusTaken(t.transfer_id);
  } catch (err) {
    say(error, `Accusé de réception impossible : ${err.message}`);
    b.disabled = false;
    refreshBaskets();
  }
}

async function declineOffer(t, reason, b, error) {
  b.disabled = true;
  say(error, "");
  try {
    await api("POST", `/api/transfers/${t.transfer_id}/decline`, { reason });
    offers.delete(t.transfer_id);
    render();
    say($("transfers-notice"), `Transfert refusé : le niveau 1 (${t.from_advisor}) en est informé.`);
    $("transfers-title").focus();
  } catch (err) {
    say(error, `Refus impossible : ${err.message}`);
    b.disabled = false;
  }
}

// -- baskets -------------------------------------------------------------------------------------------------
async function refreshBaskets() {
  if (!can(TRANSFER_RECEIVE)) return;
  const run = ++loading;
  try {
    const list = await api("GET", "/api/baskets");
    const filled = await Promise.all(list.map(async (b) => ({
      ...b, at: Date.now(), items: await api("GET", `/api/baskets/${encodeURIComponent(b.code)}/transfers`),
    })));
    if (run !== loading) return;
    baskets = filled;
    render();
  } catch (err) {
    console.warn("baskets unavailable", err);
  }
}

function renderBaskets() {
  const box = $("baskets");
  box.replaceChildren();
  for (const b of baskets) {
    const section = testid(el("section", null, "basket"), `basket-${b.code}`);
    section.dataset.basket = b.code;
    const count = b.items.length;
    section.append(el("h3", `Corbeille ${b.label} (${b.code}) — ${count ? `${count} en attente` : "vide"}`));
    const ul = el("ul", null, "basket-items");
    for (const item of b.items) {
      const li = testid(el("li", null, "basket-item"), "basket-item");
      li.dataset.transfer = String(item.transfer_id);
      li.dataset.call = item.call_id;
      const text = el("div", null, "basket-text");
      const age = testid(el("span", frAge(item.age_s + (Date.now() - b.at) / 1000), "basket-age"), "basket-age");
      text.append(el("strong", titleOf(item)), el("br"), el("span", `${item.mode_label} · de ${item.from_advisor} · `,
        "muted small"), age);
      if (item.flags && item.flags.length) text.append(el("span", ` · ${item.flags.length} alerte(s)`, "warning small"));
      li.append(text);
      if (item.mode === "cold") {
        const take = testid(button("Prendre", null, (e) => pickUp(item, e.currentTarget)), "basket-take");
        take.setAttribute("aria-label", `Prendre le transfert de ${titleOf(item)}`);
        li.append(take);
      } else if (!offers.has(item.transfer_id)) {
        li.append(testid(button("Voir", "secondary-button", (e) => openOffer(item, e.currentTarget)), "basket-open"));
      }
      ul.append(li);
    }
    section.append(ul);
    box.append(section);
  }
}

async function openOffer(item, b) {
  b.disabled = true;
  try {
    const view = await api("GET", `/api/transfers/${item.transfer_id}`);
    offers.set(view.transfer_id, view);
    render();
  } catch (err) {
    b.disabled = false;
    say($("transfers-notice"), err.message);
  }
}

async function pickUp(item, b) {
  b.disabled = true;
  try {
    const view = await api("POST", `/api/transfers/${item.transfer_id}/pickup`);
    taken.set(view.transfer_id, { transfer: view, conversation: view.conversation });
    render();
    focusTaken(view.transfer_id);
    refreshBaskets();
  } catch (err) {
    b.disabled = false;
    say($("transfers-notice"), `Prise en charge impossible : ${err.message}`);
    refreshBaskets();
  }
}

// -- transfers taken ---------------------------------------------------------------------------------------------
function focusTaken(id) {
  const card = $("transfers-taken").querySelector(`[data-transfer="${CSS.escape(String(id))}"]`);
  if (card) card.focus();
}

function conversationView(said) {
  const box = testid(el("section", null, "handover-part conversation"), "transfer-conversation");
  box.append(el("h4", "Conversation avec le copilote"));
  if (said === null) {
    box.append(el("p", "Conversation indisponible : le copilote ne répond pas.", "muted small"));
    return box;
  }
  if (!said.length) {
    box.append(el("p", "Aucun échange avec le copilote sur cet appel.", "muted small"));
    return box;
  }
  const ol = el("ol", null, "chat conversation-log");
  for (const s of said) {
    const li = el("li", null, s.sender === "advisor" ? "me" : "bot");
    const at = typeof s.at === "number" ? frTime(new Date(s.at * 1000).toISOString()) : "";
    li.append(el("span", `${s.sender === "advisor" ? "Conseiller" : "Copilote"}${at ? ` (${at})` : ""} : `,
      "conversation-who"), el("span", s.text));
    ol.append(li);
  }
  box.append(ol);
  return box;
}

function closeForm(entry) {
  const t = entry.transfer;
  const node = testid(el("form", null, "close-form"), "transfer-close-form");
  node.noValidate = true;
  node.append(el("h4", "Clore le transfert"));
  const outcomeId = `transfer-outcome-${t.transfer_id}`;
  const outcomeLabel = el("label", "Résultat");
  outcomeLabel.htmlFor = outcomeId;
  const select = testid(document.createElement("select"), "transfer-outcome");
  select.id = outcomeId;
  select.append(new Option("Choisir le résultat…", ""), ...OUTCOMES.map(([v, l]) => new Option(l, v)));
  const noteId = `transfer-note-${t.transfer_id}`;
  const noteLabel = el("label", "Note pour le niveau 1 (facultative)");
  noteLabel.htmlFor = noteId;
  const note = testid(document.createElement("textarea"), "transfer-note");
  note.id = noteId;
  note.rows = 2;
  note.maxLength = 1000;
  const error = errorLine("form-error", "transfer-close-error");
  error.setAttribute("role", "alert");
  const submit = testid(button("Clore", null, null, "submit"), "transfer-close");
  const outcomeRow = el("div", null, "edit-input");
  outcomeRow.append(outcomeLabel, select);
  const noteRow = el("div", null, "edit-input");
  noteRow.append(noteLabel, note);
  const row = el("div", null, "row edit-actions");
  row.append(submit);
  node.append(outcomeRow, noteRow, error, row);
  node.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!select.value) {
      select.setAttribute("aria-invalid", "true");
      say(error, "Choisissez le résultat.");
      select.focus();
      return;
    }
    select.removeAttribute("aria-invalid");
    submit.disabled = true;
    say(error, "");
    try {
      entry.transfer = await api("POST", `/api/transfers/${t.transfer_id}/close`,
        { outcome: select.value, note: note.value.trim() || null });
      entry.closed = true;
      render();
      focusTaken(t.transfer_id);
    } catch (err) {
      say(error, `Clôture impossible : ${err.message}`);
      submit.disabled = false;
    }
  });
  return node;
}

function takenCard(entry) {
  const t = entry.transfer;
  const card = testid(el("article", null, "transfer-taken"), "transfer-taken");
  card.dataset.transfer = String(t.transfer_id);
  card.dataset.call = t.call_id;
  card.tabIndex = -1;
  const head = el("div", null, "transfer-offer-head");
  head.append(el("strong", `Transfert pris en charge — ${titleOf(t)}`),
    el("div", `${t.mode_label} · de ${t.from_advisor} · ${t.team_label}`, "muted small"));
  card.append(head);
  if (entry.closed) {
    card.append(testid(el("p", `Transfert clos : ${t.outcome_label}${t.outcome_note ? ` — ${t.outcome_note}` : ""}`
      + " (le niveau 1 en est informé).", "banner banner-ok"), "transfer-closed"));
    card.append(button("Masquer", "link", () => { taken.delete(t.transfer_id); render(); }));
    return card;
  }
  card.append(handoverView(t.handover, t.edited_text, `taken-${t.transfer_id}`));
  if (entry.conversation !== undefined) card.append(conversationView(entry.conversation));
  card.append(closeForm(entry));
  return card;
}

function renderTaken() {
  // a form being filled stays as it is: only cards that changed are drawn again
  const box = $("transfers-taken");
  const shown = new Map([...box.children].map((c) => [c.dataset.transfer, c]));
  for (const [id, entry] of taken) {
    const card = shown.get(String(id));
    if (!card || card.dataset.closed !== String(!!entry.closed)) {
      const fresh = takenCard(entry);
      fresh.dataset.closed = String(!!entry.closed);
      if (card) card.replaceWith(fresh); else box.append(fresh);
    }
    shown.delete(String(id));
  }
  for (const card of shown.values()) card.remove();
}

function render() {
  renderOffers();
  renderBaskets();
  renderTaken();
  $("transfers-empty").hidden = !!(offers.size || taken.size || baskets.some((b) => b.items.length));
  show();
}

// -- socket frames and start -------------------------------------------------------------------------------
export function onOffered(message) {
  if (!can(TRANSFER_RECEIVE) || !message.transfer) return;
  offers.set(message.transfer.transfer_id, message.transfer);
  render();
  refreshBaskets();
}

/** A transfer_update frame for the team's panels: lists follow; true when it was about level 2's lists. */
export function onTeamUpdate(message) {
  if (!can(TRANSFER_RECEIVE) || !message.transfer) return;
  const id = message.transfer.transfer_id;
  if (GONE.has(message.event) && offers.has(id) && !taken.has(id)) {
    offers.delete(id);
    if (message.by !== auth.login) {
      say($("transfers-notice"), `Transfert ${id} ${message.event === "cancelled" ? "annulé par le niveau 1"
        : `pris ou refusé par ${message.by_name || message.by}`}.`);
    }
  }
  render();
  refreshBaskets();
}

/** Signed in with ``transfer:receive``: the baskets, and the transfers taken and not closed yet. */
export async function loadReceived() {
  if (timer) clearInterval(timer);
  if (!can(TRANSFER_RECEIVE)) { area().hidden = true; return; }
  area().hidden = false;
  timer = setInterval(refreshBaskets, REFRESH_MS);
  refreshBaskets();
  try {
    const mine = await api("GET", "/api/transfers");
    for (const t of mine) {
      if (t.direction !== "received" || taken.has(t.transfer_id)) continue;
      const view = await api("GET", `/api/transfers/${t.transfer_id}`);
      taken.set(t.transfer_id, { transfer: view, conversation: undefined });
    }
    render();
  } catch (err) {
    console.warn("transfers taken unavailable", err);
  }
}
