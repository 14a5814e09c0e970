// « En direct »: today's figures and the last 15 minutes, the advisors' states with their call's journey and a
// duration that ticks, pushed by /ws/steering (reconnects with a growing delay; not after a refusal). The token
// is renewed on the socket a minute before it expires (its hello says when), as the panel does.

import { auth, devSignIn, scheduleRenewal, showAuthError } from "../js/auth.js";
import { $, el, testid } from "../js/dom.js";
import * as fmt from "./format.js";
import { def, view } from "./view.js";

const CARDS = [
  ["dmt_s", "DMT"], ["calls", "Appels"], ["transfer_rate", "Taux de transfert"], ["acts_done", "Actes réalisés"],
  ["suggestion_acceptance", "Acceptation des suggestions"], ["nlu_correction_rate", "Correction NLU"],
];
const STATE_CLASS = { talking: "state-talking", held: "state-held", ringing: "state-ringing", idle: "state-idle" };
let delay = 1000;
let authRetried = false;  // one new development sign-in per expiry
let lastError = "";
let receivedAt = 0;
let handlers = { frame: () => {}, drill: () => {}, call: () => {} };

function connection(text, on) {
  const pill = $("connection");
  pill.hidden = false;
  pill.textContent = text;
  pill.className = `pill ${on ? "pill-on" : "pill-off"}`;
}

/** Opens the socket; ``frame(live)`` after each snapshot, ``drill(params, title)`` and ``call(id)`` on clicks. */
export function startLive(on) {
  handlers = { ...handlers, ...on };
  setInterval(tick, 1000);
  open();
}

function open() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  lastError = "";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/steering?${new URLSearchParams({ token: auth.token })}`);
  socket.onmessage = (e) => {
    let frame;
    try { frame = JSON.parse(e.data); } catch (err) { return; }
    if (frame.type === "hello" || frame.type === "renewed") {
      scheduleRenewal(frame.expires_at, (token) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "renew", token }));
      });
    } else if (frame.type === "steering_live") {
      delay = 1000;
      authRetried = false;
      connection("En direct", true);
      render(frame);
    } else if (frame.type === "error" || frame.type === "session_expired") {
      lastError = frame.detail || "";
    }
  };
  socket.onclose = async (e) => {
    if (e.code === 4403) {
      connection("Direct refusé", false);
      showAuthError(lastError || "Le direct vous est refusé.");
      return;
    }
    if (e.code === 4401) {
      if (auth.devLogin && !authRetried) {  // the development token expired: sign in again once
        authRetried = true;
        try { await devSignIn(auth.devLogin); open(); return; } catch (err) { lastError = err.message; }
      }
      connection("Hors ligne", false);
      showAuthError(`Direct interrompu : ${lastError || "session expirée."} Rechargez la page pour vous reconnecter.`);
      return;
    }
    connection("Reconnexion…", false);
    setTimeout(() => open(), delay);
    delay = Math.min(delay * 2, 30000);
  };
}

function render(frame) {
  view.live = frame;
  receivedAt = Date.now();
  $("live-at").textContent = `· ${fmt.day(frame.day)} à ${fmt.time(frame.at).slice(0, 5)}`;
  $("live-cards").replaceChildren(...CARDS.map(([name, short]) => card(frame, name, short)));
  renderBoard(frame);
  handlers.frame(frame);
}

function card(frame, name, short) {
  const kpi = def(name);
  const box = testid(el("button", null, "live-card"), `live-${name}`);
  box.type = "button";
  box.title = `${kpi.label} : ${kpi.formula}. Cliquez pour voir les appels du jour.`;
  box.append(el("span", short, "live-label"), testid(el("span", fmt.value(frame.today[name], kpi.unit), "live-value"),
    `live-${name}-today`));
  const recent = el("span", "15 dernières min : ", "live-recent");
  recent.append(testid(el("strong", fmt.value(frame.last_15_min[name], kpi.unit)), `live-${name}-recent`));
  box.append(recent);
  box.addEventListener("click", () => handlers.drill({ from: frame.day, to: frame.day, kpi: name },
    `${kpi.label} · aujourd'hui`));
  return box;
}

function renderBoard(frame) {
  const figures = Object.fromEntries(frame.advisors.map((a) => [a.key, a]));
  const states = { talking: 0, held: 0, ringing: 0, idle: 0 };
  const tiles = frame.in_progress.map((a) => {
    states[a.state] = (states[a.state] || 0) + 1;
    return tile(a, figures[a.advisor], frame.day);
  });
  $("board").replaceChildren(...tiles);
  $("board-empty").hidden = tiles.length > 0;
  const parts = [[states.talking, "en conversation"], [states.held, "en attente"], [states.ringing, "en sonnerie"],
    [states.idle, "sans appel"]].filter(([n]) => n).map(([n, what]) => `${n} ${what}`);
  $("board-summary").textContent = parts.join(" · ");
}

function tile(advisor, figures, day) {
  const li = testid(el("li", null, `tile ${STATE_CLASS[advisor.state] || ""}`), "board-tile");
  li.dataset.advisor = advisor.advisor;
  const head = el("div", null, "tile-head");
  const name = el("button", advisor.label, "tile-name link");
  name.type = "button";
  name.title = "Les appels du jour de ce conseiller";
  name.addEventListener("click", () => handlers.drill({ level: "advisor", key: advisor.advisor, from: day, to: day,
    kpi: "calls" }, `Appels du jour · ${advisor.label}`));
  head.append(name, testid(el("span", advisor.state_label, `pill state-pill`), "board-state"));
  li.append(head);
  const call = advisor.calls.length ? advisor.calls[advisor.calls.length - 1] : null;
  const today = figures ? `${fmt.count(figures.calls)} appel${figures.calls > 1 ? "s" : ""} · DMT `
    + `${fmt.value(figures.dmt_s, "seconds")}` : "";
  if (call) {
    const line = el("button", null, "tile-call link");
    line.type = "button";
    line.dataset.callId = call.call_id;
    line.title = `Le déroulé de cet appel. ${today}`;
    line.append(testid(el("span", call.journey_label || "Parcours non détecté", "tile-journey"), "board-journey"));
    if (call.transfer) line.append(el("span", fmt.TRANSFER_MODES[call.transfer] || call.transfer, "tile-transfer"));
    const ticking = testid(el("span", fmt.clock(call.for_s), "tile-clock"), "board-clock");
    ticking.dataset.for = String(call.for_s);
    line.append(ticking);
    line.addEventListener("click", () => handlers.call(call.call_id));
    li.append(line);
  } else {
    li.append(el("div", today || "Aucun appel aujourd'hui", "tile-figures"));
  }
  return li;
}

function tick() {
  const elapsed = (Date.now() - receivedAt) / 1000;
  for (const node of document.querySelectorAll("#board [data-for]")) {
    node.textContent = fmt.clock(Number(node.dataset.for) + elapsed);
  }
}
