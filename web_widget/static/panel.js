// Advisor side panel. Every customer-supplied string goes through textContent, never innerHTML.
"use strict";

const params = new URLSearchParams(location.search);
const advisor = params.get("advisor") || "n1.demo";
const $ = (id) => document.getElementById(id);
const CALL_STATES = {
  offered: "Présenté", answered: "En cours", held: "En attente", resumed: "En cours",
  transferred_warm: "Transféré (à chaud)", transferred_cold: "Transféré (à froid)", ended: "Terminé",
};
let socket = null;
let currentCall = null;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

const LINE_STATUS = { active: "active", suspended: "suspendue", terminated: "résiliée" };

function commitment(iso) {
  if (!iso) return "sans engagement";
  return new Date(`${iso}T23:59:59`) < new Date() ? `échu le ${frDate(iso)}` : `jusqu'au ${frDate(iso)}`;
}

function frDate(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

function renderCustomer(customer) {
  const box = $("customer");
  box.replaceChildren();
  $("unknown").hidden = !!customer;
  if (!customer) return;
  box.append(el("div", customer.display_name, "name"));
  const dl = el("dl");
  const facts = [
    ["Âge", customer.age !== null ? `${customer.age} ans (né·e le ${frDate(customer.birth_date)})` : "—"],
    ["Adresse", customer.address || "—"],
    ["E-mail", customer.email || "—"],
    ["N° client", customer.id],
  ];
  for (const [k, v] of facts) { dl.append(el("dt", k), el("dd", v)); }
  box.append(dl);
  const table = el("table");
  table.dataset.testid = "lines";
  const head = el("tr");
  for (const h of ["Ligne", "Offre", "Statut", "Fin d'engagement"]) head.append(el("th", h));
  table.append(head);
  for (const line of customer.lines) {
    const tr = el("tr");
    tr.append(el("td", line.display_number, "nowrap"), el("td", line.offer_label),
      el("td", LINE_STATUS[line.status] || line.status), el("td", commitment(line.commitment_end)));
    table.append(tr);
  }
  box.append(el("h3", "Offres détenues"), table);
}

function renderPop(pop) {
  currentCall = pop.call_id;
  $("idle").hidden = true;
  $("call").hidden = false;
  $("caller-number").textContent = pop.caller_number || "Numéro masqué";
  $("call-state").textContent = CALL_STATES[pop.state] || pop.state;
  $("reason").textContent = pop.reason ? `« ${pop.reason} »` : "";
  const warning = $("nlu-warning");
  warning.hidden = true;
  if (pop.nlu_status === "unavailable") {
    $("journey").textContent = "analyse indisponible";
    $("confidence").textContent = "";
  } else if (!pop.journey) {
    $("journey").textContent = "motif non précisé";
    $("confidence").textContent = "";
  } else {
    $("journey").textContent = pop.journey_label || pop.journey;
    $("confidence").textContent = `confiance ${Math.round(pop.confidence * 100)} %`;
    if (pop.low_confidence) { warning.textContent = "Motif incertain : à confirmer avec l'appelant."; warning.hidden = false; }
  }
  const acts = $("acts");
  acts.replaceChildren(...pop.acts.map((a) => el("li", a.label)));
  renderCustomer(pop.customer);
}

function chatLine(text, cls) {
  const log = $("chat-log");
  log.append(el("li", text, cls));
  log.scrollTop = log.scrollHeight;
}

function onMessage(message) {
  if (message.type === "screen_pop") renderPop(message);
  else if (message.type === "call_update" && message.call_id === currentCall) {
    $("call-state").textContent = CALL_STATES[message.state] || message.state;
  } else if (message.type === "chat_reply") {
    if (message.error) chatLine(message.error, "err");
    for (const m of message.messages) if (m.text) chatLine(m.text, "bot");
  } else if (message.type === "error") chatLine(message.detail, "err");
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/panel?advisor=${encodeURIComponent(advisor)}`);
  socket.onopen = () => { $("connection").textContent = "Connecté"; $("connection").className = "pill pill-on"; };
  socket.onclose = () => {
    $("connection").textContent = "Déconnecté — reconnexion…";
    $("connection").className = "pill pill-off";
    setTimeout(connect, 1000);
  };
  socket.onmessage = (e) => { try { onMessage(JSON.parse(e.data)); } catch (err) { console.error(err); } };
}

$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-input").value.trim();
  if (!text || !currentCall || !socket || socket.readyState !== WebSocket.OPEN) return;
  chatLine(text, "me");
  socket.send(JSON.stringify({ type: "chat", call_id: currentCall, text }));
  $("chat-input").value = "";
});

$("search-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = $("search-input").value.trim();
  const results = $("search-results");
  results.replaceChildren();
  if (!q) return;
  const key = /^[+\d\s.]+$/.test(q) ? "line" : "name";
  try {
    const r = await fetch(`/api/customers?${key}=${encodeURIComponent(q)}&limit=10`, { headers: { "X-Advisor": advisor } });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const items = await r.json();
    if (!items.length) results.append(el("li", "Aucun client trouvé.", "muted"));
    for (const item of items) {
      const li = el("li", `${item.display_name} — ${item.line_numbers.join(", ")}`);
      li.tabIndex = 0;
      li.addEventListener("click", () => socket.send(JSON.stringify({ type: "attach_customer", call_id: currentCall, customer_id: item.id })));
      results.append(li);
    }
  } catch (err) {
    results.append(el("li", "Recherche indisponible, réessayez.", "muted"));
  }
});

$("advisor").textContent = advisor;
connect();
