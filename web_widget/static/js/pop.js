// The call: the screen pop (caller, reason, journey, acts, customer), the journey's correction, a pop for
// another call while one is in progress (a banner: switching is explicit), the calls waiting for an advisor.

import { actInProgress, dropAct, renderActs } from "./acts.js";
import { api } from "./api.js";
import { clearChat } from "./chat.js";
import { $, button, el, say, testid } from "./dom.js";
import { state } from "./state.js";
import { transferCallShown } from "./transfers.js";
import { renderCustomer } from "./view360.js";

export const CALL_STATES = {
  offered: "Présenté", answered: "En cours", held: "En attente", resumed: "En cours",
  transferred_warm: "Transféré (à chaud)", transferred_cold: "Transféré (à froid)", ended: "Terminé",
  expired: "Terminé",
};
const OVER = new Set(["ended", "expired", "transferred_cold"]);

/** The advisor is busy with the current call: in progress, or an act or an edit still open on it. */
function busy() {
  if (!state.call) return false;
  if (!OVER.has(state.callState)) return true;
  return actInProgress() || !!document.querySelector("#view360 .edit-form");
}

export function onPop(pop) {
  if (pop.call_id === state.call) {
    showPop(pop, true);
  } else if (!busy()) {
    switchTo(pop);
  } else {
    state.incoming.set(pop.call_id, pop);
    renderIncoming();
  }
}

function switchTo(pop) {
  state.incoming.delete(pop.call_id);
  dropAct();  // before the call changes: an act under way is cancelled on the call it was for
  closeJourneyForm();
  state.call = pop.call_id;
  clearChat();
  showPop(pop, false);
  renderIncoming();
}

function who(pop) {
  const name = pop.customer && pop.customer.display_name;
  const number = pop.caller_number || "numéro masqué";
  return name ? `${name} (${number})` : number;
}

function renderIncoming() {
  const box = $("incoming");
  box.replaceChildren();
  for (const pop of state.incoming.values()) {
    const banner = testid(el("div", null, "card banner banner-incoming row"), "incoming-call");
    banner.dataset.call = pop.call_id;
    const name = pop.customer && pop.customer.display_name;
    const number = el("span", pop.caller_number || "numéro masqué", "nowrap");
    const text = el("span", `Nouvel appel de ${name ? `${name} (` : ""}`);
    text.append(number, name ? ")" : "");
    if (pop.journey_label) text.append(el("span", ` — motif : ${pop.journey_label}`, "incoming-journey"));
    const go = testid(button("Basculer", null, () => {
      switchTo(pop);
      $("caller-number").focus();
    }), "incoming-switch");
    go.setAttribute("aria-label", `Basculer sur l'appel de ${who(pop)}`);
    banner.append(text, go);
    box.append(banner);
  }
}

function showPop(pop, sameCall) {
  state.pop = pop;
  state.callState = pop.state;
  $("idle").hidden = true;
  $("call").hidden = false;
  $("caller-number").textContent = pop.caller_number || "Numéro masqué";
  $("call-state").textContent = CALL_STATES[pop.state] || pop.state;
  $("reason").textContent = pop.reason ? `« ${pop.reason} »` : "";
  const warning = $("nlu-warning");
  warning.hidden = true;
  if (pop.nlu_status === "unavailable" && !pop.journey) {
    $("journey").textContent = "analyse indisponible";
    $("confidence").textContent = "";
  } else if (!pop.journey) {
    // greetings and fillers only (« bonjour », « allô oui »), or no reason at all: the caller has not said it yet
    $("journey").textContent = "motif pas encore dit";
    $("confidence").textContent = "";
  } else {
    $("journey").textContent = pop.journey_label || pop.journey;
    $("confidence").textContent = typeof pop.confidence === "number"
      ? `confiance ${Math.round(pop.confidence * 100)} %` : "";
    if (pop.low_confidence) say(warning, "Motif incertain : à confirmer avec l'appelant.");
  }
  $("journey-corrected").hidden = !pop.journey_corrected;
  fillJourneys();
  renderCustomer(pop.customer, sameCall);  // first: which acts can be done depends on the customer
  renderActs();
  transferCallShown();
}

export function onCallUpdate(message) {
  if (message.call_id === state.call) {
    state.callState = message.state;
    $("call-state").textContent = CALL_STATES[message.state] || message.state;
  } else if (state.incoming.has(message.call_id)) {
    if (OVER.has(message.state)) state.incoming.delete(message.call_id);
    else state.incoming.get(message.call_id).state = message.state;
    renderIncoming();
  }
}

// -- the journey's correction ------------------------------------------------------------------------------
export function fillJourneys() {
  const select = $("journey-select");
  const current = state.pop && state.pop.journey;
  select.replaceChildren(...state.journeys.map((j) => new Option(j.label, j.code, false, j.code === current)));
  $("journey-switch").hidden = !state.journeys.length || !state.call;
}

function closeJourneyForm() {
  $("journey-form").hidden = true;
  $("journey-switch").setAttribute("aria-expanded", "false");
  say($("journey-error"), "");
}

export function setupJourneySwitch() {
  const toggle = $("journey-switch");
  toggle.addEventListener("click", () => {
    const opening = $("journey-form").hidden;
    closeJourneyForm();
    if (!opening) return;
    $("journey-form").hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    $("journey-select").focus();
  });
  $("journey-form").addEventListener("keydown", (e) => {
    if (e.key === "Escape") { closeJourneyForm(); toggle.focus(); }
  });
  $("journey-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const journey = $("journey-select").value;
    const apply = $("journey-form").querySelector("button");
    apply.disabled = true;
    try {
      // the new pop, with that journey's acts, comes on the socket
      await api("POST", `/api/calls/${encodeURIComponent(state.call)}/journey`, { journey });
      closeJourneyForm();
      toggle.focus();
    } catch (err) {
      say($("journey-error"), `Changement de motif impossible : ${err.message}`);
    } finally {
      apply.disabled = false;
    }
  });
}

// -- supervisors: calls that wait for an advisor ---------------------------------------------------------------
export function renderWaiting(message) {
  const list = $("waiting-list");
  let item = list.querySelector(`[data-call="${CSS.escape(message.call_id)}"]`);
  if (!item) {
    item = el("li");
    item.dataset.call = message.call_id;
    list.append(item);
  }
  item.textContent = `Appel ${message.call_id} — en attente d'un conseiller depuis ${new Date(message.since)
    .toLocaleTimeString("fr-FR")}`;
  $("waiting").hidden = false;
}
