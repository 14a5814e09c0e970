// Advisor side panel. Every customer-supplied string goes through textContent, never innerHTML.
"use strict";

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const CALL_STATES = {
  offered: "Présenté", answered: "En cours", held: "En attente", resumed: "En cours",
  transferred_warm: "Transféré (à chaud)", transferred_cold: "Transféré (à froid)", ended: "Terminé",
};
const PROFILES = {
  n1_customer_contact: "Conseiller N1", n2_technical: "Conseiller N2 technique", fleet_avsc: "Conseiller AVSC",
  collection: "Conseiller recouvrement", supervisor: "Superviseur", trainer: "Entraîneur du chatbot",
  admin: "Administrateur",
};
const PRIORITY_ORDER = ["indispensable", "important", "secondary"];

// -- state -------------------------------------------------------------------------------------------
const auth = { token: null, devLogin: null, login: null, profile: null, permissions: new Set(), expiresAt: null };
let renewTimer = null;
let socket = null;
let reconnectDelay = 1000;
let lastSocketError = null;
let currentCall = null;
let popCustomer = null;           // the customer of the current pop (CustomerPublic) or null
let view = null;                  // the 360° view shown, with its version
let viewRequest = 0;              // discards answers to superseded requests
let searchQuery = null;           // {key, q, birth} of the last search, for "Plus de résultats"

// -- helpers -----------------------------------------------------------------------------------------
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function button(text, className, onClick, type = "button") {
  const b = el("button", text, className);
  b.type = type;
  if (onClick) b.addEventListener("click", onClick);
  return b;
}

function frDate(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

function nationalNumber(e164) {
  if (!e164) return "";
  const m = /^\+33(\d{9})$/.exec(e164);
  return m ? `0${m[1]}`.replace(/(\d{2})(?=\d)/g, "$1 ") : e164;
}

function can(permission) { return auth.permissions.has(permission); }

function showAuthError(message) {
  const box = $("auth-error");
  box.textContent = message;
  box.hidden = !message;
}

function setConnection(text, on) {
  $("connection").textContent = text;
  $("connection").className = `pill ${on ? "pill-on" : "pill-off"}`;
}

function notice(text, kind = "info") {
  const box = $("view-notice");
  box.textContent = text || "";
  box.className = `banner banner-${kind}`;
  box.hidden = !text;
}

// -- sign-in -----------------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `Erreur ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

async function readJson(response) {
  try { return await response.json(); } catch (err) { return null; }
}

async function devSignIn(login) {
  let r;
  try {
    r = await fetch("/api/dev/token", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ login }),
    });
  } catch (err) {
    throw new Error("Connexion impossible : le serveur ne répond pas.");
  }
  const body = await readJson(r);
  if (r.status === 404) {
    throw new Error("Connexion impossible : ouvrez le panneau depuis le portail de l'entreprise (connexion de "
      + "développement désactivée).");
  }
  if (!r.ok || !body || !body.access_token) {
    throw new Error(`Connexion impossible : ${(body && body.detail) || `erreur ${r.status}`}`);
  }
  auth.token = body.access_token;
  auth.login = body.login;
  auth.profile = body.profile;
}

async function signIn() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const fromPortal = hash.get("token");
  if (fromPortal) {
    auth.token = fromPortal;
    try { sessionStorage.setItem("copilot.token", fromPortal); } catch (err) { /* storage disabled */ }
    history.replaceState(null, "", location.pathname + location.search);  // the token leaves the address bar
    return;
  }
  if (!params.has("advisor")) {
    let stored = null;
    try { stored = sessionStorage.getItem("copilot.token"); } catch (err) { /* storage disabled */ }
    if (stored) { auth.token = stored; return; }
  }
  auth.devLogin = params.get("advisor") || "n1.demo";
  await devSignIn(auth.devLogin);
}

function showAdvisor() {
  const label = PROFILES[auth.profile] || auth.profile;
  $("advisor").textContent = auth.login ? (label ? `${auth.login} · ${label}` : auth.login) : "";
}

// -- REST --------------------------------------------------------------------------------------------
async function api(method, path, body, retried = false) {
  const headers = { Authorization: `Bearer ${auth.token}`, Accept: "application/json" };
  if (currentCall) headers["X-Call-Id"] = currentCall;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { detail: "Le serveur ne répond pas : vérifiez la connexion et réessayez." });
  }
  const data = await readJson(r);
  if (r.status === 401 && auth.devLogin && !retried) {  // development token expired: sign in again once
    try { await devSignIn(auth.devLogin); } catch (err) { showAuthError(err.message); throw new ApiError(401, data); }
    return api(method, path, body, true);
  }
  if (r.status === 401) showAuthError(`Session expirée ou invalide : ${(data && data.detail) || "reconnectez-vous."}`);
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

// -- the 360° view -----------------------------------------------------------------------------------
function displayNode(display, className) {
  if (Array.isArray(display)) {
    if (!display.length) return el("div", "—", className);
    const ul = el("ul", null, `${className} value-list`);
    for (const item of display) ul.append(el("li", item));
    return ul;
  }
  return el("div", display === null || display === undefined || display === "" ? "—" : display, className);
}

// Fields that need the advisor's attention when set: shown as flags on top of the card.
function flagOf(field) {
  const v = field.value;
  if (field.name === "guardianship" && v) return ["warn", field.display];
  if (field.name === "electronic_tag" && Array.isArray(v) && v.length) return ["danger", field.display];
  if ((field.name === "collection" || field.name === "collection_events") && Array.isArray(v) && v.length) {
    return ["warn", field.display];
  }
  if (field.name === "balance" && v !== null && Number(v) < 0) return ["warn", `Solde : ${field.display}`];
  if (field.name === "payer_quality" && (v === "bad" || v === "watch")) return ["warn", `Qualité payeur : ${field.display}`];
  return null;
}

const CONTACT_EDIT = {
  permission: "act:edit_contact",
  submit: (data) => api("PATCH", `/api/customers/${view.customer_id}`, { ...data, version: view.version }),
};
const EDITORS = {
  email: {
    ...CONTACT_EDIT,
    inputs: [{ name: "email", label: "E-mail", inputmode: "email", autocomplete: "off", maxlength: 200 }],
    initial: (v) => ({ email: v || "" }),
    nullable: ["email"],
  },
  phones: {
    ...CONTACT_EDIT,
    inputs: [{ name: "contact_phone", label: "Téléphone de contact", inputmode: "tel", maxlength: 32 }],
    initial: (v) => ({ contact_phone: nationalNumber(v && v.contact_phone) }),
    nullable: ["contact_phone"],
  },
  postal_address: {
    ...CONTACT_EDIT,
    inputs: [{ name: "address_line", label: "Adresse", maxlength: 300 },
      { name: "postcode", label: "Code postal", inputmode: "numeric", maxlength: 10, short: true },
      { name: "city", label: "Ville", maxlength: 120 }],
    initial: (v) => ({ address_line: (v && v.address_line) || "", postcode: (v && v.postcode) || "",
      city: (v && v.city) || "" }),
  },
  payment_method: {
    permission: "act:edit_payment_method",
    title: "Nouveau prélèvement",
    inputs: [{ name: "iban", label: "IBAN", maxlength: 50, autocomplete: "off" },
      { name: "holder", label: "Titulaire du compte", maxlength: 200 }],
    initial: (v) => ({ iban: "", holder: (v && v.holder) || "" }),
    submit: (data) => api("PUT", `/api/customers/${view.customer_id}/payment-method`,
      { kind: "direct_debit", iban: data.iban, holder: data.holder, version: view.version }),
  },
};

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// ``atLeast``: the version an edit just returned. The API may answer an edit before its transaction is
// committed, so a read right after it can still be the old version: read again, briefly, until it is there.
async function loadView(customerId, { keepNotice = false, atLeast = 0 } = {}) {
  const request = ++viewRequest;
  const box = $("view360");
  if (!view || view.customer_id !== customerId) box.replaceChildren(el("p", "Chargement de la fiche client…", "muted"));
  if (!keepNotice) notice("");
  try {
    let data = await api("GET", `/api/customers/${encodeURIComponent(customerId)}/view360`);
    for (let attempt = 1; data.version < atLeast && attempt <= 8 && request === viewRequest; attempt++) {
      await sleep(100 * attempt);
      data = await api("GET", `/api/customers/${encodeURIComponent(customerId)}/view360`);
    }
    if (request !== viewRequest) return;
    view = data;
    renderView();
  } catch (err) {
    if (request !== viewRequest) return;
    view = null;
    renderViewError(customerId, err);
  }
}

function renderViewError(customerId, err) {
  const box = $("view360");
  $("flags").replaceChildren();
  let message = "Fiche client indisponible pour le moment.";
  if (err.status === 403) message = `Votre profil ne permet pas de consulter cette fiche. ${err.message}`;
  else if (err.status === 404) message = "Ce client est introuvable dans le CRM.";
  else if (err.status === 401) message = "Session expirée : la fiche ne peut pas être affichée.";
  box.replaceChildren(el("p", message, "warning"));
  if (err.status !== 403 && err.status !== 404) {
    box.append(button("Réessayer", "secondary-button", () => loadView(customerId)));
  }
  if (err.status !== 403 && popCustomer && popCustomer.lines) {  // what the screen pop already told us
    const ul = el("ul", null, "value-list");
    ul.dataset.testid = "lines";
    for (const line of popCustomer.lines) ul.append(el("li", `${line.display_number} — ${line.offer_label}`));
    box.append(el("h3", "Lignes"), ul);
  }
}

function renderView() {
  const box = $("view360");
  const flags = $("flags");
  flags.replaceChildren();
  box.replaceChildren();
  const identity = view.blocks.flatMap((b) => b.fields).find((f) => f.name === "identity");
  renderHead(identity ? identity.display : popCustomer && popCustomer.display_name, view.customer_id);
  for (const block of view.blocks) {
    const details = el("details", null, `block block-${block.name}`);
    details.open = true;
    details.dataset.testid = `block-${block.name}`;
    details.dataset.block = block.name;
    const summary = el("summary", block.label, "block-title");
    details.append(summary);
    const fields = block.fields
      .filter((f) => f.name !== "identity")
      .sort((a, b) => PRIORITY_ORDER.indexOf(a.priority) - PRIORITY_ORDER.indexOf(b.priority));
    const main = fields.filter((f) => f.priority !== "secondary");
    const secondary = fields.filter((f) => f.priority === "secondary");
    for (const field of main) details.append(fieldNode(field));
    if (secondary.length) {
      const more = el("details", null, "secondary");
      more.dataset.testid = `secondary-${block.name}`;
      more.append(el("summary", `Autres informations (${secondary.length})`));
      for (const field of secondary) more.append(fieldNode(field));
      details.append(more);
    }
    box.append(details);
    for (const field of fields) {
      const flag = flagOf(field);
      if (flag) {
        const chip = displayNode(flag[1], `flag flag-${flag[0]}`);
        chip.dataset.testid = `flag-${field.name}`;
        flags.append(chip);
      }
    }
  }
  if (!view.blocks.length) box.append(el("p", "Votre profil ne donne accès à aucun bloc de la fiche.", "muted"));
}

function renderHead(name, customerId) {
  const head = $("customer-head");
  head.replaceChildren(el("div", name || "Client", "name"));
  head.firstChild.dataset.testid = "customer-name";
  if (customerId !== undefined && customerId !== null) head.append(el("span", `N° client ${customerId}`, "muted"));
}

function fieldNode(field) {
  const node = el("div", null, `field prio-${field.priority}`);
  node.dataset.testid = `field-${field.name}`;
  node.dataset.field = field.name;
  const flag = flagOf(field);
  if (flag) node.classList.add(`field-${flag[0]}`);
  const head = el("div", null, "field-head");
  head.append(el("span", field.label, "label"));
  const editor = EDITORS[field.name];
  if (editor && can(editor.permission)) {
    const edit = button("Modifier", "link", () => openEditor(node, field, editor));
    edit.dataset.testid = `edit-${field.name}`;
    edit.setAttribute("aria-label", `Modifier : ${field.label}`);
    head.append(edit);
  } else if (field.name === "offers_options" && can("act:edit_options") && hasOptions(field)) {
    const edit = button("Gérer", "link", () => openOptions(node, field));
    edit.dataset.testid = "edit-offers_options";
    edit.setAttribute("aria-label", "Gérer les options");
    head.append(edit);
  }
  node.append(head, displayNode(field.display, "value"));
  return node;
}

function closeEditor(node, field) {
  node.replaceWith(fieldNode(field));
}

function openEditor(node, field, editor) {
  const form = el("form", null, "edit-form");
  form.noValidate = true;
  form.dataset.testid = `form-${field.name}`;
  const initial = editor.initial(field.value);
  const formError = el("p", null, "form-error");
  formError.dataset.testid = `form-error-${field.name}`;
  formError.hidden = true;
  formError.setAttribute("role", "alert");
  const inputs = {};
  const errors = {};
  form.append(el("div", editor.title || field.label, "label"));
  for (const spec of editor.inputs) {
    const id = `edit-${field.name}-${spec.name}`;
    const wrap = el("div", null, `edit-input${spec.short ? " edit-short" : ""}`);
    const label = el("label", spec.label);
    label.htmlFor = id;
    const input = el("input");
    input.id = id;
    input.name = spec.name;
    input.value = initial[spec.name] || "";
    input.maxLength = spec.maxlength || 200;
    input.autocomplete = spec.autocomplete || "off";
    if (spec.inputmode) input.inputMode = spec.inputmode;
    input.dataset.testid = `input-${spec.name}`;
    const error = el("p", null, "field-error");
    error.id = `${id}-error`;
    error.dataset.testid = `error-${spec.name}`;
    error.hidden = true;
    input.setAttribute("aria-describedby", error.id);
    wrap.append(label, input, error);
    form.append(wrap);
    inputs[spec.name] = input;
    errors[spec.name] = error;
  }
  const save = button("Enregistrer", null, null, "submit");
  save.dataset.testid = `save-${field.name}`;
  const cancel = button("Annuler", "secondary-button", () => closeEditor(form, field));
  form.append(formError, el("div", null, "row edit-actions"));
  form.lastChild.append(cancel, save);
  form.addEventListener("keydown", (e) => { if (e.key === "Escape") closeEditor(form, field); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const name of Object.keys(inputs)) {
      errors[name].hidden = true;
      inputs[name].removeAttribute("aria-invalid");
    }
    formError.hidden = true;
    const data = {};
    for (const [name, input] of Object.entries(inputs)) {
      const raw = input.value.trim();
      data[name] = raw === "" && (editor.nullable || []).includes(name) ? null : raw;
    }
    save.disabled = true;
    save.textContent = "Enregistrement…";
    try {
      const edited = await editor.submit(data);
      notice(`${field.label} : modification enregistrée.`, "ok");
      await loadView(view.customer_id, { keepNotice: true, atLeast: edited.version });
    } catch (err) {
      save.disabled = false;
      save.textContent = "Enregistrer";
      showEditError(err, field, inputs, errors, formError);
    }
  });
  node.replaceWith(form);
  const first = Object.values(inputs)[0];
  if (first) first.focus();
}

function showEditError(err, field, inputs, errors, formError) {
  if (err.status === 409) {
    notice(`${err.message} La fiche a été rechargée.`, "warn");
    loadView(view.customer_id, { keepNotice: true, atLeast: Number(err.problem.current_version) || 0 });
    return;
  }
  let unplaced = [];
  if (err.status === 422 && Array.isArray(err.problem.errors)) {
    for (const e of err.problem.errors) {
      if (errors[e.field]) {
        errors[e.field].textContent = e.message;
        errors[e.field].hidden = false;
        inputs[e.field].setAttribute("aria-invalid", "true");
      } else {
        unplaced.push(e.message);
      }
    }
    const firstBad = Object.keys(inputs).find((n) => !errors[n].hidden);
    if (firstBad) inputs[firstBad].focus();
  }
  const text = [err.message, ...unplaced].filter(Boolean).join(" ");
  formError.textContent = err.status === 403 ? `Modification non autorisée : ${err.message}` : text;
  formError.hidden = !formError.textContent;
}

// Options: each held option can be removed (the API has no options catalogue to offer new ones).
function hasOptions(field) {
  return Array.isArray(field.value) && field.value.some((l) => l.options && l.options.length);
}

function lineIds() {
  const lines = view.blocks.flatMap((b) => b.fields).find((f) => f.name === "lines");
  const ids = {};
  for (const line of (lines && lines.value) || []) ids[line.number] = line.id;
  return ids;
}

function openOptions(node, field) {
  const box = el("div", null, "edit-form");
  box.dataset.testid = "form-offers_options";
  box.append(el("div", "Options des lignes", "label"));
  const ids = lineIds();
  const status = el("p", null, "form-error");
  status.hidden = true;
  status.setAttribute("role", "alert");
  for (const line of field.value) {
    if (!line.options.length) continue;
    box.append(el("div", `${nationalNumber(line.line)} — ${line.offer}`, "option-line"));
    const ul = el("ul", null, "option-list");
    for (const option of line.options) {
      const li = el("li", null, "row");
      li.append(el("span", option.label));
      const remove = button("Retirer", "link danger", async () => {
        remove.disabled = true;
        status.hidden = true;
        try {
          const edited = await api("DELETE", `/api/customers/${view.customer_id}/lines/${ids[line.line]}/options/`
            + `${encodeURIComponent(option.code)}`);
          notice(`« ${option.label} » retirée.`, "ok");
          await loadView(view.customer_id, { keepNotice: true, atLeast: edited.version });
        } catch (err) {
          remove.disabled = false;
          if (err.status === 409) { showEditError(err, field, {}, {}, status); return; }
          status.textContent = err.message;
          status.hidden = false;
        }
      });
      remove.disabled = ids[line.line] === undefined;
      remove.setAttribute("aria-label", `Retirer ${option.label}`);
      li.append(remove);
      ul.append(li);
    }
    box.append(ul);
  }
  box.append(status, el("div", null, "row edit-actions"));
  box.lastChild.append(button("Fermer", "secondary-button", () => closeEditor(box, field)));
  node.replaceWith(box);
}

// -- the screen pop ----------------------------------------------------------------------------------
function renderCustomer(customer, sameCall) {
  $("unknown").hidden = !!customer;
  $("customer").hidden = !customer;
  const changed = !customer || !popCustomer || customer.id !== popCustomer.id;
  popCustomer = customer;
  if (!customer) {
    viewRequest++;
    view = null;
    $("customer-head").replaceChildren();
    $("flags").replaceChildren();
    $("view360").replaceChildren();
    notice("");
    return;
  }
  if (sameCall && !changed && view) return;  // same call, same customer: keep the view (and any open edit)
  $("search-results").replaceChildren();
  $("search-more").hidden = true;
  view = null;
  $("flags").replaceChildren();
  renderHead(customer.display_name, customer.id);
  loadView(customer.id);
}

function renderPop(pop) {
  const sameCall = pop.call_id === currentCall;
  currentCall = pop.call_id;
  if (!sameCall) $("chat-log").replaceChildren();
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
  acts.replaceChildren(...(pop.acts || []).map((a) => el("li", a.label)));
  if (!acts.children.length) acts.append(el("li", "Aucun acte suggéré.", "muted"));
  renderCustomer(pop.customer, sameCall);
}

function chatLine(text, cls) {
  const log = $("chat-log");
  log.append(el("li", text, cls));
  log.scrollTop = log.scrollHeight;
}

// -- the session: the socket closes when the token expires, so the panel renews it a minute before ----------
async function freshToken() {
  if (auth.devLogin) { await devSignIn(auth.devLogin); return auth.token; }
  const r = await fetch("/api/session/renew", { method: "POST", headers: { Authorization: `Bearer ${auth.token}` } });
  const body = await readJson(r);
  if (!r.ok || !body || !body.access_token) {
    throw new Error((body && body.detail) || "Renouvellement de session impossible : reconnectez-vous.");
  }
  auth.token = body.access_token;
  try { sessionStorage.setItem("copilot.token", auth.token); } catch (err) { /* storage disabled */ }
  return auth.token;
}

function scheduleRenewal(expiresAt) {
  auth.expiresAt = expiresAt ? new Date(expiresAt) : null;
  if (renewTimer) clearTimeout(renewTimer);
  if (!auth.expiresAt) return;
  const left = auth.expiresAt.getTime() - Date.now();
  const wait = Math.max(Math.min(left - 60000, left * 0.8), 0);
  renewTimer = setTimeout(async () => {
    try {
      const token = await freshToken();
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "renew", token }));
    } catch (err) {
      showAuthError(err.message);
    }
  }, wait);
}

function signedIn(message) {
  auth.login = message.advisor;
  auth.profile = message.profile;
  auth.permissions = new Set(message.permissions || []);
  showAdvisor();
  showAuthError("");
  scheduleRenewal(message.expires_at);
  if (view) renderView();  // permissions decide which edits are offered
}

function renderWaiting(message) {
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

function onMessage(message) {
  if (message.type === "hello") {
    signedIn(message);
    setConnection("Connecté", true);
    reconnectDelay = 1000;
  } else if (message.type === "renewed") {
    signedIn(message);
  } else if (message.type === "session_expired") {
    lastSocketError = message.detail;
    showAuthError(message.detail);
  } else if (message.type === "call_unassigned") {
    renderWaiting(message);
  } else if (message.type === "screen_pop") renderPop(message);
  else if (message.type === "call_update" && message.call_id === currentCall) {
    $("call-state").textContent = CALL_STATES[message.state] || message.state;
  } else if (message.type === "chat_reply") {
    if (message.error) chatLine(message.error, "err");
    for (const m of message.messages) if (m.text) chatLine(m.text, "bot");
  } else if (message.type === "error") {
    lastSocketError = message.detail;
    if (socket && socket.readyState === WebSocket.OPEN) chatLine(message.detail, "err");
  }
}

// -- the panel websocket -----------------------------------------------------------------------------
function connect(retriedAuth = false) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = new URLSearchParams({ token: auth.token });
  if (params.get("call_id")) query.set("call_id", params.get("call_id"));
  lastSocketError = null;
  socket = new WebSocket(`${scheme}://${location.host}/ws/panel?${query}`);
  socket.onopen = () => setConnection("Connexion…", false);  // « Connecté » once signed in (hello)
  socket.onclose = async (e) => {
    if (e.code === 4401) {
      if (auth.devLogin && !retriedAuth) {  // the development token has expired: one new sign-in
        try { await devSignIn(auth.devLogin); connect(true); return; } catch (err) { showAuthError(err.message); }
      } else {
        showAuthError(`Connexion refusée : ${lastSocketError || "authentification requise."} `
          + "Rouvrez le panneau depuis le portail.");
      }
      setConnection("Non connecté", false);
      return;
    }
    setConnection("Déconnecté — reconnexion…", false);
    setTimeout(() => connect(), reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 10000);
  };
  socket.onmessage = (e) => { try { onMessage(JSON.parse(e.data)); } catch (err) { console.error(err); } };
}

// -- chat and search ---------------------------------------------------------------------------------
$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-input").value.trim();
  if (!text || !currentCall || !socket || socket.readyState !== WebSocket.OPEN) return;
  chatLine(text, "me");
  socket.send(JSON.stringify({ type: "chat", call_id: currentCall, text }));
  $("chat-input").value = "";
});

async function runSearch(cursor) {
  const results = $("search-results");
  const more = $("search-more");
  more.hidden = true;
  if (!cursor) results.replaceChildren();
  const { key, q, birth } = searchQuery;
  const query = new URLSearchParams({ [key]: q, limit: "10" });
  if (key === "name" && birth) query.set("birth_date", birth);
  if (cursor) query.set("cursor", cursor);
  try {
    const page = await api("GET", `/api/customers?${query}`);
    if (!page.items.length && !cursor) results.append(el("li", "Aucun client trouvé.", "muted"));
    for (const item of page.items) {
      const li = el("li");
      const pick = button("", "result", () => {
        if (!socket || socket.readyState !== WebSocket.OPEN) return;
        socket.send(JSON.stringify({ type: "attach_customer", call_id: currentCall, customer_id: item.id }));
      });
      pick.append(el("strong", item.display_name), el("span", item.line_numbers.join(", ") || "aucune ligne", "muted"));
      li.append(pick);
      results.append(li);
    }
    more.hidden = !page.next_cursor;
    more.onclick = () => runSearch(page.next_cursor);
  } catch (err) {
    const why = err.status === 422 && err.problem.errors
      ? err.problem.errors.map((x) => x.message).join(" ") : err.status ? err.message : "";
    results.append(el("li", `Recherche impossible. ${why}`.trim(), "warning"));
  }
}

$("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("search-input").value.trim();
  $("search-results").replaceChildren();
  $("search-more").hidden = true;
  if (!q) return;
  const key = q.includes("@") ? "email" : /^[+\d\s.]+$/.test(q) ? "line" : "name";
  searchQuery = { key, q, birth: $("search-birth").value };
  runSearch(null);
});

// -- start -------------------------------------------------------------------------------------------
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
  connect();
})();
