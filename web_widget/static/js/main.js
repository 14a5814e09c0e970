// The advisor's side panel: signs in, opens the socket and routes its frames to the modules.
// Modules: dom (helpers), state, auth (sign-in, renewal), api (REST), socket, pop (the call), view360 (the
// customer), edits (in place), acts (forms, preview, result), chat, search, workspace (profiles without calls),
// handover (a transfer's handover), transfers (level 1's transfers), baskets (level 2's offers and baskets).

import { renderActs } from "./acts.js";
import { api } from "./api.js";
import { loadReceived, onOffered, onTeamUpdate } from "./baskets.js";
import { can, scheduleRenewal, showAdvisor, showAuthError, signIn, signedInAs } from "./auth.js";
import { chatLine, renderReply, setupChat } from "./chat.js";
import { $ } from "./dom.js";
import { fillJourneys, onCallUpdate, onPop, renderWaiting, setupJourneySwitch } from "./pop.js";
import { setupSearch } from "./search.js";
import { connect, isOpen, send, setConnection } from "./socket.js";
import { state } from "./state.js";
import { loadSent, onSentUpdate, setupTransfers, transferCallShown } from "./transfers.js";
import { renderView } from "./view360.js";
import { showWorkspace } from "./workspace.js";

const CUSTOMER_READ = "customer:read";

/** The acts this advisor may do and the journeys a call may be switched to. */
async function loadCatalogue() {
  try {
    const [acts, journeys] = await Promise.all([api("GET", "/api/acts"), api("GET", "/api/journeys")]);
    state.acts = new Map(acts.map((a) => [a.code, a]));
    state.journeys = journeys;
  } catch (err) {
    console.warn("catalogue of acts unavailable", err);
    return;
  }
  fillJourneys();
  if (state.pop) renderActs();
}

let grantedBefore = null;  // the permissions the panel was drawn with

function signedIn(message) {
  signedInAs(message);
  scheduleRenewal(message.expires_at, (token) => send({ type: "renew", token }));
  if (!can(CUSTOMER_READ)) {
    showWorkspace();
    return;
  }
  if (message.type === "hello") {  // (re)connected: the transfers as they are now
    loadSent();
    loadReceived();
    transferCallShown();
  }
  const granted = [...(message.permissions || [])].sort().join(" ");
  if (granted === grantedBefore) return;  // a renewal that changes nothing leaves an edit or an act open
  grantedBefore = granted;
  if (state.view) renderView();  // permissions decide which edits are offered
  loadCatalogue();  // and which acts
}

function onMessage(message) {
  const calls = can(CUSTOMER_READ);
  if (message.type === "hello" || message.type === "renewed") {
    signedIn(message);
  } else if (message.type === "session_expired") {
    showAuthError(message.detail);
  } else if (message.type === "call_unassigned" && calls) {
    renderWaiting(message);
  } else if (message.type === "screen_pop" && calls) {
    onPop(message);
  } else if (message.type === "call_update" && calls) {
    onCallUpdate(message);
  } else if (message.type === "transfer_offered" && calls) {
    onOffered(message);
  } else if (message.type === "transfer_update" && calls) {
    onSentUpdate(message);
    onTeamUpdate(message);
  } else if (message.type === "chat_reply") {
    renderReply(message);
  } else if (message.type === "error") {
    if (isOpen() && state.call) chatLine(message.detail, "err");
  }
}

setupChat();
setupSearch();
setupJourneySwitch();
setupTransfers();

(async () => {
  try {
    await signIn();
  } catch (err) {
    $("advisor").textContent = "";
    setConnection("Non connecté", false);
    showAuthError(err.message);
    return;
  }
  showAdvisor();
  connect(onMessage);
})();
