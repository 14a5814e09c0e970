// Management acts from the panel: the pop's act buttons, then for the act chosen its form (filled by the
// API), its preview, its confirmation and its result. « Annuler » at any stage; a read act runs on « Voir ».
//
//   click  → POST /api/acts/{code}/open     {customer_id, journey}            → the form
//   Aperçu → POST /api/acts/{code}/preview  {customer_id, params, version}    → what will change
//   Confirmer / Voir → POST …/execute       {customer_id, params, version, journey} → the result; 360° reloaded
//   Annuler → POST …/cancel                 {customer_id, stage, journey}

import { api, errorField } from "./api.js";
import { $, button, el, errorLine, focusTestId, say, testid } from "./dom.js";
import { guardianshipNote } from "./edits.js";
import { send } from "./socket.js";
import { state } from "./state.js";
import { loadView, notice } from "./view360.js";

const NOT_ALLOWED = "votre profil n'est pas habilité à ces actes";
const NO_CUSTOMER = "identifiez d'abord le client";
let current = null;  // the act open in the panel: {code, label, writes, journey, customerId, stage, …}

function journeyLabel(code) {
  const known = state.journeys.find((j) => j.code === code)
    || ((state.pop && state.pop.secondary_journeys) || []).find((j) => j.journey === code);
  return known ? known.label : code;
}

/** Why the advisor cannot do this act now (French), or null. */
function unavailable(item) {
  const info = state.acts && state.acts.get(item.code);
  if (info && info.allowed === false) return NOT_ALLOWED;
  const needsCustomer = info ? info.needs_customer : true;
  if (needsCustomer && !state.popCustomer) return NO_CUSTOMER;
  return null;
}

/** The pop's acts as buttons, the primary journey's first, then each secondary journey's. */
export function renderActs() {
  const pop = state.pop;
  const list = $("acts");
  list.replaceChildren();
  const acts = (pop && pop.acts) || [];
  let journey = pop && pop.journey;
  const reasons = new Set();
  for (const item of acts) {
    if (item.journey && item.journey !== journey) {
      journey = item.journey;
      list.append(el("li", `Autre motif possible : ${journeyLabel(journey)}`, "acts-group"));
    }
    const li = el("li");
    const b = testid(button(item.label, item.writes ? "act-button" : "act-button act-read", () => openAct(item)),
      `act-${item.code}`);
    const why = unavailable(item);
    if (why) {
      b.disabled = true;
      b.title = `Indisponible : ${why}.`;
      b.setAttribute("aria-describedby", "acts-note");
      reasons.add(why);
    }
    if (current && current.code === item.code) b.setAttribute("aria-expanded", "true");
    li.append(b);
    list.append(li);
  }
  if (!acts.length) list.append(el("li", "Aucun acte suggéré.", "muted"));
  const note = [...reasons].join(" ; ");
  say($("acts-note"), note ? `Actes grisés : ${note}.` : "");
}

function actButton(code) {
  return $("acts").querySelector(`[data-testid="act-${CSS.escape(code)}"]`);
}

function backToButton(code) {
  const b = actButton(code);
  if (b && !b.disabled) b.focus();
}

function markOpen() {
  for (const b of $("acts").querySelectorAll("button")) b.removeAttribute("aria-expanded");
  const b = current && actButton(current.code);
  if (b) b.setAttribute("aria-expanded", "true");
}

function close() {
  current = null;
  const panel = $("act-panel");
  panel.replaceChildren();
  panel.hidden = true;
  markOpen();
}

/** An act is being filled in or previewed (the pop of another call then waits for « Basculer »). */
export function actInProgress() {
  return !!current && (current.stage === "form" || current.stage === "preview" || current.stage === "opening");
}

/** Tells the API the act under way (form or preview) was dropped; nothing was written either way. */
function sendCancel(act) {
  if (act.stage !== "form" && act.stage !== "preview") return Promise.resolve();
  const { code, customerId, stage, journey } = act;
  return api("POST", `/api/acts/${encodeURIComponent(code)}/cancel`, { customer_id: customerId, stage, journey })
    .catch(() => {});
}

/** Drops the act open in the panel (call switched): an act under way is cancelled, on the call it was for. */
export function dropAct() {
  if (current) sendCancel(current);  // first: the request leaves with the call it was for
  close();
}

function cancel(act) {
  sendCancel(act);
  close();
  backToButton(act.code);
}

async function openAct(item) {
  if (current && current.code === item.code && current.stage === "form") {
    focusFirst(current);
    return;
  }
  if (current && current.code === item.code && current.stage === "preview") {
    current.outcomeNode.focus();
    return;
  }
  if (current) dropAct();
  const customerId = state.popCustomer ? state.popCustomer.id : null;
  const journey = item.journey || (state.pop && state.pop.journey) || null;
  const act = { code: item.code, label: item.label, writes: item.writes, journey, customerId, stage: "opening" };
  current = act;
  const panel = $("act-panel");
  panel.hidden = false;
  panel.replaceChildren(el("h3", item.label, "act-title"), el("p", "Ouverture du formulaire…", "muted"));
  markOpen();
  try {
    const form = await api("POST", `/api/acts/${encodeURIComponent(item.code)}/open`,
      { customer_id: customerId, journey });
    if (act.writes && customerId && !state.view && state.viewLoading) {
      await state.viewLoading;  // the form warns from the view (a guardianship): wait for it if it is coming
    }
    if (current !== act) return;
    act.form = form;
    act.writes = form.writes;
    act.version = form.version;
    renderForm(act);
  } catch (err) {
    if (current !== act) return;
    act.stage = "failed";
    const box = el("div", null, "act-form");
    const error = testid(el("p", openFailure(err), "banner banner-error"), "act-error");
    error.setAttribute("role", "alert");
    const closeButton = testid(button("Fermer", "secondary-button", () => { close(); backToButton(act.code); }),
      "act-close");
    box.append(el("h3", item.label, "act-title"), error, el("div", null, "row edit-actions"));
    box.lastChild.append(closeButton);
    panel.replaceChildren(box);
    closeButton.focus();
  }
}

function openFailure(err) {
  if (err.status === 403) return `Acte non autorisé : ${err.message}`;
  return `Impossible d'ouvrir cet acte : ${err.message}`;
}

// -- the form -----------------------------------------------------------------------------------------
const INPUT_MODES = { phone: "tel", email: "email", amount: "decimal", postcode: "numeric" };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function paramInput(act, p) {
  const id = `act-${act.code}-${p.name}`;
  const wrap = el("div", null, `edit-input act-input act-input-${p.type}`);
  const labelText = p.required ? p.label : `${p.label} (facultatif)`;
  const error = errorLine("field-error", `act-error-${p.name}`);
  error.id = `${id}-error`;
  let control;
  let read;
  let focusable;
  if (p.type === "steps" && Array.isArray(p.choices)) {
    control = el("fieldset", null, "act-steps");
    control.append(el("legend", labelText));
    const held = Array.isArray(p.value) ? p.value : [];
    p.choices.forEach((c, i) => {
      const box = el("input");
      box.type = "checkbox";
      box.id = `${id}-${i}`;
      box.value = c.value;
      box.checked = held.includes(c.value);
      const label = el("label", c.label);
      label.htmlFor = box.id;
      const line = el("div", null, "check-line");
      line.append(box, label);
      control.append(line);
    });
    read = () => [...control.querySelectorAll("input:checked")].map((b) => b.value);
    focusable = control.querySelector("input") || control;
    wrap.append(control);
  } else if (p.type === "boolean") {
    control = el("input");
    control.type = "checkbox";
    control.checked = p.value === true || p.value === "true";
    const label = el("label", p.label);
    label.htmlFor = id;
    const line = el("div", null, "check-line");
    line.append(control, label);
    read = () => control.checked;
    wrap.append(line);
  } else {
    if (Array.isArray(p.choices)) {
      control = el("select");
      const values = p.choices.map((c) => c.value);
      if (!p.required || !values.includes(String(p.value ?? ""))) control.append(new Option("— choisir —", ""));
      for (const c of p.choices) control.append(new Option(c.label, c.value));
      control.value = values.includes(String(p.value ?? "")) ? String(p.value) : "";
    } else if (p.type === "long_text") {
      control = el("textarea");
      control.rows = 3;
      control.maxLength = 1000;
      control.value = p.value ?? "";
    } else {
      control = el("input");
      const value = p.value === null || p.value === undefined ? "" : String(p.value);
      if (p.type === "date" && (value === "" || ISO_DATE.test(value))) {
        control.type = "date";
      } else {
        control.type = "text";
        control.maxLength = p.type === "text" ? 200 : 60;
        if (p.type === "date") control.placeholder = "JJ/MM/AAAA";
        if (INPUT_MODES[p.type]) control.inputMode = INPUT_MODES[p.type];
        if (p.type === "iban" || p.type === "bic") control.spellcheck = false;
      }
      control.autocomplete = "off";
      control.value = value;
    }
    read = () => {
      const raw = control.value.trim();
      return raw === "" ? null : raw;
    };
    const label = el("label", labelText);
    label.htmlFor = id;
    wrap.append(label, control);
  }
  control.id = control.id || id;
  testid(control, `act-input-${p.name}`);
  control.setAttribute("aria-describedby", error.id);
  if (p.required) control.setAttribute("aria-required", "true");
  wrap.append(error);
  act.inputs[p.name] = { control, read, focusable: focusable || control };
  act.errors[p.name] = error;
  return wrap;
}

function renderForm(act) {
  const panel = $("act-panel");
  const form = testid(el("form", null, "act-form"), `act-form-${act.code}`);
  form.noValidate = true;
  const title = el("h3", act.form.label, "act-title");
  title.id = "act-title";
  form.setAttribute("aria-labelledby", title.id);
  form.append(title);
  if (act.form.description) form.append(el("p", act.form.description, "muted small"));
  const note = act.writes ? guardianshipNote("act-guardianship-warning") : null;
  if (note) form.append(note);
  act.inputs = {};
  act.errors = {};
  for (const p of act.form.params) form.append(paramInput(act, p));
  act.formError = errorLine("form-error", "act-error");
  act.formError.setAttribute("role", "alert");
  const go = act.writes
    ? testid(button("Aperçu", null, null, "submit"), "act-preview")
    : testid(button("Voir", null, null, "submit"), "act-run");
  act.submit = go;
  const actions = el("div", null, "row edit-actions");
  actions.append(testid(button("Annuler", "secondary-button", () => cancel(act)), "act-cancel"), go);
  form.append(act.formError, actions);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (act.writes) preview(act); else execute(act);
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); cancel(act); }
  });
  act.formNode = form;
  act.outcomeNode = testid(el("div", null, "act-outcome"), "act-outcome");
  act.outcomeNode.tabIndex = -1;
  act.outcomeNode.hidden = true;
  panel.replaceChildren(form, act.outcomeNode);
  act.stage = "form";
  focusFirst(act);
}

function focusFirst(act) {
  const first = Object.values(act.inputs)[0];
  (first ? first.focusable : act.submit).focus();
}

function collect(act) {
  const params = {};
  for (const [name, input] of Object.entries(act.inputs)) {
    const value = input.read();
    if (value === null || (Array.isArray(value) && !value.length)) continue;
    params[name] = value;
  }
  return params;
}

function clearErrors(act) {
  for (const [name, error] of Object.entries(act.errors)) {
    say(error, "");
    act.inputs[name].control.removeAttribute("aria-invalid");
  }
  say(act.formError, "");
  if (act.outcomeError) say(act.outcomeError, "");
}

function busy(act, on, text) {
  const target = act.stage === "preview" ? act.confirm : act.submit;
  if (!target) return;
  if (on) { target.dataset.label = target.textContent; target.textContent = text; }
  else if (target.dataset.label) target.textContent = target.dataset.label;
  target.disabled = on;
}

// -- preview, execution, result ---------------------------------------------------------------------------
async function preview(act, message) {
  clearErrors(act);
  const params = collect(act);
  busy(act, true, "Aperçu…");
  try {
    const outcome = await api("POST", `/api/acts/${encodeURIComponent(act.code)}/preview`,
      { customer_id: act.customerId, params, version: act.version });
    if (current !== act) return;
    busy(act, false);
    act.params = params;
    if (outcome.version !== null && outcome.version !== undefined) act.version = outcome.version;
    showPreview(act, outcome, message);
  } catch (err) {
    if (current !== act) return;
    busy(act, false);
    showError(act, err);
  }
}

function showPreview(act, outcome, message) {
  act.stage = "preview";
  act.formNode.hidden = true;
  const box = act.outcomeNode;
  act.outcomeError = errorLine("banner banner-error", "act-outcome-error");
  act.outcomeError.setAttribute("role", "alert");
  const actions = el("div", null, "row edit-actions");
  act.confirm = testid(button("Confirmer", null, () => execute(act)), "act-confirm");
  actions.append(testid(button("Modifier", "secondary-button", () => backToForm(act)), "act-back"),
    testid(button("Annuler", "secondary-button", () => cancel(act)), "act-cancel"), act.confirm);
  box.replaceChildren(el("h3", `Aperçu — ${outcome.label}`, "act-title"),
    outcomeView(outcome, "act"), act.outcomeError, actions);
  box.onkeydown = (e) => { if (e.key === "Escape") { e.preventDefault(); cancel(act); } };
  box.hidden = false;
  say(act.outcomeError, message);
  box.focus();
}

function backToForm(act) {
  act.stage = "form";
  act.outcomeNode.hidden = true;
  act.outcomeNode.replaceChildren();
  act.formNode.hidden = false;
  focusFirst(act);
}

async function execute(act) {
  const params = act.stage === "preview" ? act.params : collect(act);
  clearErrors(act);
  busy(act, true, act.writes ? "Enregistrement…" : "Chargement…");
  let outcome;
  try {
    outcome = await api("POST", `/api/acts/${encodeURIComponent(act.code)}/execute`,
      { customer_id: act.customerId, params, version: act.version, journey: act.journey });
  } catch (err) {
    if (current !== act) return;
    busy(act, false);
    if (err.status === 409 && err.problem.current_version) {  // the customer changed since the preview
      act.version = Number(err.problem.current_version);
      if (act.customerId) loadView(act.customerId, { keepNotice: true, atLeast: act.version });
      await preview(act, `${err.message} La fiche a été rechargée : vérifiez l'aperçu à jour et confirmez à nouveau.`);
      return;
    }
    showError(act, err);
    return;
  }
  if (current !== act) return;
  showResult(act, outcome);
  actDone(outcome);
}

function showResult(act, outcome) {
  act.stage = "done";
  act.formNode.hidden = true;
  const box = act.outcomeNode;
  const actions = el("div", null, "row edit-actions");
  if (!act.writes && act.form.params.length) {
    actions.append(testid(button("Modifier", "secondary-button", () => backToForm(act)), "act-back"));
  }
  actions.append(testid(button("Fermer", "secondary-button", () => { close(); backToButton(act.code); }),
    "act-close"));
  box.replaceChildren(el("h3", act.writes ? `Fait — ${outcome.label}` : outcome.label, "act-title"),
    outcomeView(outcome, "act"), actions);
  box.setAttribute("role", "status");
  box.hidden = false;
  backToButton(act.code);
}

/** After an act was done (panel or chat): the 360° view at once, and a created customer on the call. */
export function actDone(outcome) {
  if (!outcome) return;
  const id = outcome.customer_id;
  if (!id) return;
  if (state.popCustomer && state.popCustomer.id === id) {
    if (outcome.writes) {
      notice(`Fiche mise à jour : ${outcome.label}.`, "ok");
      loadView(id, { keepNotice: true, atLeast: Number(outcome.version) || 0 });
    }
  } else if (!state.popCustomer && state.call) {  // a customer created during the call: it is the caller
    send({ type: "attach_customer", call_id: state.call, customer_id: id });
  }
}

function showError(act, err) {
  const errors = Array.isArray(err.problem.errors) ? err.problem.errors : [];
  const placed = [];
  const unplaced = [];
  for (const e of errors) {
    const name = errorField(e);
    if (act.errors[name]) placed.push([name, e.message]); else unplaced.push(e.message);
  }
  let text = err.message;
  if (err.status === 403) text = `Acte non autorisé : ${err.message}`;
  if (err.status === 409 && !/Rien n'a été enregistré/.test(text)) {
    text += " Rien n'a été enregistré.";
  }
  text = [text, ...unplaced.filter((m) => !text.includes(m))].join(" ");
  if (placed.length && act.stage !== "form") backToForm(act);
  if (act.stage === "form") {
    for (const [name, message] of placed) {
      say(act.errors[name], message);
      act.inputs[name].control.setAttribute("aria-invalid", "true");
    }
    say(act.formError, text);
    if (placed.length) act.inputs[placed[0][0]].focusable.focus();
  } else {
    say(act.outcomeError, text);
  }
}

// -- what an outcome says (the panel's acts and the chat's) -------------------------------------------------
function valueText(v) {
  if (v === null || v === undefined || v === "") return "—";
  if (Array.isArray(v)) return v.map(valueText).join(", ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** A preview or a result: warnings first (what to tell or check), the summary, the changes, the details. */
export function outcomeView(outcome, prefix) {
  const box = el("div", null, `outcome outcome-${outcome.status}`);
  const warnings = outcome.warnings || [];
  if (warnings.length) {
    const list = testid(el("ul", null, "warnings"), `${prefix}-warnings`);
    for (const w of warnings) list.append(el("li", w));
    box.append(list);
  }
  const done = outcome.status === "done";
  box.append(testid(el("p", outcome.summary, done && outcome.writes ? "summary banner banner-ok" : "summary"),
    `${prefix}-summary`));
  const changes = outcome.changes || [];
  if (changes.length) {
    const list = testid(el("ul", null, "changes"), `${prefix}-changes`);
    for (const c of changes) {
      const li = el("li");
      li.append(el("span", `${c.label} : `, "change-label"), el("span", valueText(c.before), "before"),
        el("span", " → ", "arrow"), el("span", valueText(c.after), "after"));
      list.append(li);
    }
    box.append(el("h4", done ? "Modifications faites" : "Modifications prévues"), list);
  }
  const details = outcome.details || [];
  if (details.length) {
    const list = testid(el("dl", null, "details"), `${prefix}-details`);
    for (const d of details) list.append(el("dt", d.label), el("dd", valueText(d.value)));
    box.append(list);
  }
  return box;
}
