// The trainer's console: the inbox of reasons to review, the curated examples, candidates and publication.
// Everything comes from /api/trainer/… (nlu:curate); every string from callers goes through textContent.

import { api, ApiError, signInAsMe } from "../js/api.js";
import { auth, showAuthError } from "../js/auth.js";
import { $, button, el, say, sleep, testid } from "../js/dom.js";

const SVG = "http://www.w3.org/2000/svg";
const SOURCE_LABELS = { unsure: "NLU incertain", corrected: "corrigé", dropped: "actes abandonnés" };
const ACTIONS = { publish: "Publication", force: "Publication forcée", rollback: "Retour arrière", repository: "Modèle du dépôt" };
const STATUS = { training: "En entraînement", ready: "Prêt", failed: "Échec" };
const view = {
  journeys: [], labels: {}, production: null, selected: null, polling: null, set: "A",
  inboxLoads: 0,  // the latest inbox request: an older answer is dropped
  decided: new Set(),  // groups accepted or rejected here: an answer read before the decision does not bring them back
};

const decimal = (x) => x.toFixed(1).replace(".", ",");  // French: 96,6 %
const pct = (x) => (x === null || x === undefined ? "—" : `${decimal(100 * x)} %`);
const signed = (x) => {
  if (x === null || x === undefined) return "—";
  const points = Math.abs(100 * x);
  const sign = points < 0.05 ? "±" : x > 0 ? "+" : "−";  // −0,0 and +0,0 are no change
  return `${sign}${decimal(points)} pt`;
};
const when = (iso) => (iso ? new Date(iso.endsWith("Z") || iso.includes("+") ? iso : `${iso}Z`)
  .toLocaleString("fr-FR", { dateStyle: "short", timeStyle: "short" }).replace(" ", " à ") : "—");

/** Says what happened at the top of the console; ``focus`` when the control that did it is gone. */
function notice(text, kind = "ok", focus = false) {
  const box = $("notice");
  box.className = `card banner ${kind === "error" ? "banner-error" : "banner-ok"}`;
  say(box, text);
  if (focus) box.focus();
}

function fail(err) {
  notice(err instanceof ApiError || err instanceof Error ? err.message : String(err), "error");
}

/** The problem's detail and its fields' messages (a 422 says which field is wrong). */
function problemText(err) {
  const fields = err.problem && err.problem.errors ? err.problem.errors.map((e) => e.message).join(" ") : "";
  return `${err.message} ${fields}`.trim();
}

/** The journeys by their French labels; « Choisir un parcours… » first when none is chosen yet. */
function journeyOptions(selected) {
  const options = selected ? [] : [new Option("Choisir un parcours…", "")];
  for (const j of view.journeys) options.push(new Option(j.label, j.code, false, j.code === selected));
  return options;
}

function journeySelect(selected, testId) {
  const select = el("select");
  select.append(...journeyOptions(selected));
  select.value = selected || "";
  if (testId) testid(select, testId);
  return select;
}

// -- tabs -------------------------------------------------------------------------------------------------
function showTab(name) {
  for (const tab of ["inbox", "examples", "models"]) {
    $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
    $(tab).hidden = tab !== name;
  }
  if (name === "inbox") loadInbox().catch(fail);
  if (name === "examples") loadExamples().catch(fail);
  if (name === "models") loadModels().catch(fail);
}

// -- inbox ------------------------------------------------------------------------------------------------
async function loadInbox() {
  const params = new URLSearchParams();
  for (const [key, id] of [["journey", "f-journey"], ["source", "f-source"], ["centre", "f-centre"]]) {
    if ($(id).value.trim()) params.set(key, $(id).value.trim());
  }
  for (const [key, id] of [["since", "f-since"], ["until", "f-until"]]) {
    const day = isoDay($(id));
    if (day === undefined) return;
    if (day) params.set(key, day);
  }
  say($("filters-error"), "");
  const list = $("inbox-list");
  const load = ++view.inboxLoads;
  list.setAttribute("aria-busy", "true");
  try {
    const body = await api("GET", `/api/trainer/inbox?${params}`);
    if (load !== view.inboxLoads) return;
    const groups = body.groups.filter((g) => !view.decided.has(g.id));
    list.replaceChildren(...groups.map(renderGroup));
    $("inbox-empty").hidden = groups.length > 0;
  } finally {
    if (load === view.inboxLoads) list.removeAttribute("aria-busy");
  }
}

/** The day typed as jj/mm/aaaa, as the API reads it (aaaa-mm-jj); "" when empty, undefined (and said) when wrong.
 * Text rather than a date input: the browser would show its own language's format (mm/dd/yyyy). */
function isoDay(input) {
  const text = input.value.trim();
  input.removeAttribute("aria-invalid");
  if (!text) return "";
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
  const day = m && new Date(Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1])));
  if (!day || day.getUTCDate() !== Number(m[1]) || day.getUTCMonth() !== Number(m[2]) - 1) {
    input.setAttribute("aria-invalid", "true");
    say($("filters-error"), `Date invalide : « ${text} ». Écrivez-la jj/mm/aaaa, par exemple 01/12/2026.`);
    input.focus();
    return undefined;
  }
  return day.toISOString().slice(0, 10);
}

function renderGroup(group) {
  const li = testid(el("li", null, "group"), "group");
  li.dataset.groupId = group.id;
  const text = testid(el("textarea", null, "group-text"), "group-text");
  text.value = group.text;
  text.rows = 2;
  text.maxLength = 1000;
  text.setAttribute("aria-label", "Phrase de l'exemple (modifiable)");
  const meta = el("div", null, "group-meta");
  meta.append(testid(el("span", `${group.count} appel${group.count > 1 ? "s" : ""}`, "pill count"), "group-count"));
  for (const [source, n] of Object.entries(group.sources)) {
    if (n) meta.append(el("span", `${SOURCE_LABELS[source]} ×${n}`, "pill"));
  }
  if (group.predicted) {
    const conf = group.confidence === null ? "" : ` (${pct(group.confidence)})`;
    meta.append(el("span", `NLU : ${group.predicted_label || group.predicted}${conf}`));
  }
  for (const c of group.corrected_to) meta.append(el("span", `→ conseiller : ${c.label} ×${c.count}`, "pill pill-info"));
  if (group.centres.length) meta.append(el("span", `${group.centres.length > 1 ? "centres" : "centre"} : ${group.centres.join(", ")}`, "muted"));
  meta.append(el("span", `dernier appel le ${when(group.last_seen)}`, "muted"));
  li.append(text, meta);
  if (group.variants.length) {
    const ul = el("ul", null, "variants");
    for (const v of group.variants) ul.append(el("li", v));
    li.append(ul);
  }
  const error = el("p", null, "field-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  const actions = el("div", null, "group-actions");
  if (group.heldout) {
    actions.append(el("span", "Phrase d'un jeu d'évaluation : elle ne peut pas devenir un exemple.", "warning"));
  } else {
    const select = journeySelect(group.suggested, "group-journey");
    select.setAttribute("aria-label", "Parcours de l'exemple");
    const accept = testid(button(group.suggested ? "Accepter" : "Étiqueter", "primary-button", async () => {
      if (!select.value) { say(error, "Choisissez le parcours de cette phrase."); select.focus(); return; }
      accept.disabled = true;
      try {
        const made = await api("POST", "/api/trainer/examples", { text: text.value, journey: select.value, inbox_id: group.id });
        view.decided.add(group.id);
        notice(`Exemple n° ${made.id} ajouté (« ${made.journey_label} ») : il servira au prochain entraînement.`, "ok", true);
        li.remove();
      } catch (err) {
        say(error, problemText(err));
        accept.disabled = false;
      }
    }), "group-accept");
    select.addEventListener("change", () => {
      accept.textContent = !group.suggested ? "Étiqueter" : select.value === group.suggested ? "Accepter" : "Réétiqueter";
    });
    actions.append(select, accept);
    if (group.in_repository) {
      actions.append(el("span", `déjà dans les données du dépôt (${view.labels[group.in_repository] || group.in_repository})`, "muted small"));
    }
  }
  actions.append(testid(button("Rejeter", "secondary-button", async () => {
    try {
      await api("POST", `/api/trainer/inbox/${group.id}/reject`, {});
      view.decided.add(group.id);
      notice("Groupe rejeté : il quitte la boîte de réception.", "ok", true);
      li.remove();
    } catch (err) { say(error, err.message); }
  }), "group-reject"));
  li.append(actions, error);
  return li;
}

// -- examples ---------------------------------------------------------------------------------------------
async function loadExamples() {
  const rows = await api("GET", "/api/trainer/examples");
  $("examples-count").textContent = `(${rows.length})`;
  $("examples-list").replaceChildren(...rows.map((row) => {
    const tr = testid(el("tr"), "example");
    const select = journeySelect(row.journey);
    select.setAttribute("aria-label", "Parcours");
    select.addEventListener("change", async () => {
      try {
        const next = await api("PATCH", `/api/trainer/examples/${row.id}`, { journey: select.value });
        notice(`Exemple réétiqueté « ${next.journey_label} » (version ${next.revision}).`);
        await loadExamples();
      } catch (err) { fail(err); select.value = row.journey; }
    });
    const td = el("td");
    td.append(select);
    const retire = el("td");
    retire.append(button("Retirer", "link", async () => {
      try {
        await api("DELETE", `/api/trainer/examples/${row.id}`);
        notice("Exemple retiré : les prochains candidats seront entraînés sans lui.");
        await loadExamples();
      } catch (err) { fail(err); }
    }));
    tr.append(el("td", row.text), td, el("td", `v${row.revision}`), el("td", row.created_by), retire);
    return tr;
  }));
}

// Entities of the new example: spans of the textarea's text, each with its kind (the API checks them again).
const ENTITY_LABELS = { equipment: "matériel", offer: "offre", city: "ville", date: "date", amount: "montant",
  phone_number: "téléphone" };
let entities = [];

function renderEntities() {
  const text = $("example-text").value;
  $("entity-list").replaceChildren(...entities.map((e, i) => {
    const li = testid(el("li", null, "pill"), "entity");
    li.append(el("span", `${ENTITY_LABELS[e.entity]} : « ${text.slice(e.start, e.end)} »`),
      button("×", "link", () => { entities.splice(i, 1); renderEntities(); }));
    li.lastChild.setAttribute("aria-label", `Retirer l'entité ${text.slice(e.start, e.end)}`);
    return li;
  }));
}

function markEntity() {
  const box = $("example-text");
  let [start, end] = [box.selectionStart, box.selectionEnd];
  while (start < end && /\s/.test(box.value[start])) start += 1;  // the selection without its spaces
  while (end > start && /\s/.test(box.value[end - 1])) end -= 1;
  if (start >= end) {
    say($("example-error"), "Sélectionnez d'abord, dans la phrase, les mots de l'entité.");
    box.focus();
    return;
  }
  if (entities.some((e) => start < e.end && e.start < end)) {
    say($("example-error"), "Ces mots font déjà partie d'une entité : retirez-la d'abord.");
    return;
  }
  say($("example-error"), "");
  entities.push({ start, end, entity: $("entity-kind").value });
  entities.sort((a, b) => a.start - b.start);
  renderEntities();
}

async function addExample(event) {
  event.preventDefault();
  const error = $("example-error");
  if (!$("example-journey").value) {
    say(error, "Choisissez le parcours de l'exemple.");
    $("example-journey").focus();
    return;
  }
  try {
    const made = await api("POST", "/api/trainer/examples", { text: $("example-text").value,
      journey: $("example-journey").value, entities });
    say(error, "");
    $("example-text").value = "";
    entities = [];
    renderEntities();
    $("example-journey").value = "";
    notice(`Exemple n° ${made.id} ajouté (« ${made.journey_label} »).`);
    await loadExamples();
  } catch (err) {
    say(error, problemText(err));
  }
}

// -- models -----------------------------------------------------------------------------------------------
// Short names of the journeys, where their labels do not fit (the confusion matrix); the label is in the title.
const SHORT = {
  become_customer: "Devenir client", change_offer: "Changer d'offre", move: "Déménager", withdraw: "Se rétracter",
  terminate: "Résilier", manage_account: "Compte client", billing_payment: "Facture, paiement", breakdown: "Panne",
  usage_help: "Aide à l'usage", complaint: "Réclamation", out_of_scope: "Hors périmètre",
};
const label = (code) => view.labels[code] || code;
const short = (code) => SHORT[code] || label(code);
const plural = (n, one, many) => `${n} ${n > 1 ? many : one}`;

function figure(model, set) {
  const f = model.figures && model.figures[set];
  return f ? pct(f.accuracy) : "—";
}

async function loadModels() {
  const body = await api("GET", "/api/trainer/models");
  view.production = body.production;
  view.canRollBack = body.can_roll_back;
  $("production").textContent = body.production
    ? `Modèle en production : n° ${body.production.id} (${body.production.source === "repository" ? "dépôt" : "candidat"})`
    : "Modèle en production : —";
  $("models-list").replaceChildren(...body.models.map((m) => {
    const tr = testid(el("tr", null, m.id === view.selected ? "selected" : ""), "model");
    tr.dataset.modelId = m.id;
    const state = el("td", m.in_production ? "En production" : STATUS[m.status] || m.status);
    if (m.in_production) state.className = "in-production";
    const open = el("td");
    if (m.status === "ready") {
      const compare = testid(button("Comparer", "link", () => showModel(m.id)), "model-compare");
      compare.setAttribute("aria-label", `Comparer le modèle n° ${m.id}`);
      open.append(compare);
    }
    const origin = m.source === "repository" ? "dépôt" : (m.note || "candidat");
    tr.append(el("td", `n° ${m.id}`), el("td", origin), el("td", m.source === "repository" ? "—" : m.curated_examples, "num"), state,
      el("td", figure(m, "A"), "num"), el("td", figure(m, "B"), "num"), el("td", figure(m, "C"), "num"),
      el("td", m.created_by), open);
    return tr;
  }));
  $("history").replaceChildren(...body.history.map((h) => {
    const tr = testid(el("tr"), "publication");
    const f = (s) => (h.figures && h.figures[s] ? pct(h.figures[s].accuracy) : "—");
    tr.append(el("td", when(h.published_at)), el("td", `n° ${h.model_id}`), el("td", ACTIONS[h.action] || h.action),
      el("td", h.published_by), el("td", h.reason || "", "reason-cell"), el("td", f("A"), "num"),
      el("td", f("B"), "num"), el("td", f("C"), "num"));
    return tr;
  }));
  const running = body.models.find((m) => m.status === "training");
  if (running && !view.polling) follow(running.id);
}

async function train(event) {
  event.preventDefault();
  try {
    const note = $("train-note").value.trim();
    const started = await api("POST", "/api/trainer/models", note ? { note } : {});
    notice(`Candidat n° ${started.id} en entraînement : le modèle en production continue de servir les appels.`);
    $("train-note").value = "";
    await loadModels();  // follows it
  } catch (err) { fail(err); }
}

/** Follows a training until it ends (never throws: the server not answering is said, and asked again). */
async function follow(id) {
  view.polling = id;
  const box = $("training");
  box.hidden = false;
  box.classList.remove("failed");
  $("train").disabled = true;  // one training at a time
  $("training-cancel").hidden = false;
  $("training-cancel").onclick = async () => {
    try { await api("POST", `/api/trainer/models/${id}/cancel`); } catch (err) { fail(err); }
  };
  let shown = 0;
  try {
    for (;;) {
      let m;
      try {
        m = await api("GET", `/api/trainer/models/${id}`);
      } catch (err) {
        $("training-step").textContent = `Candidat n° ${id} : suivi interrompu (${err.message}), nouvel essai…`;
        await sleep(3000);
        continue;
      }
      $("training-step").textContent = `Candidat n° ${id} : ${m.step || "démarrage"}`;
      shown = Math.max(shown, m.progress || 0);  // the bar never goes back (the server's steps may, by a little)
      $("training-bar").value = shown;
      $("training-pct").textContent = `${Math.round(100 * shown)} %`;
      if (m.status === "ready") {
        box.hidden = true;
        notice(`Candidat n° ${id} prêt (${Math.round(m.train_seconds || 0)} s d'entraînement) : comparez-le avec le modèle en production.`);
        await loadModels().catch(fail);
        renderModel(m);
        break;
      }
      if (m.status === "failed") {
        box.classList.add("failed");
        say($("notice"), "");  // « en entraînement » no more: the box says why it ended
        $("training-step").textContent = `Candidat n° ${id} : ${m.error}`;
        $("training-cancel").hidden = true;
        await loadModels().catch(fail);
        break;
      }
      await sleep(1000);
    }
  } finally {
    view.polling = null;
    $("train").disabled = false;
  }
}

async function showModel(id) {
  try { renderModel(await api("GET", `/api/trainer/models/${id}`)); } catch (err) { fail(err); }
}

function renderModel(model) {
  view.selected = model.id;
  for (const tr of document.querySelectorAll("#models-list tr")) tr.classList.toggle("selected", Number(tr.dataset.modelId) === model.id);
  const box = $("comparison");
  box.replaceChildren();
  box.hidden = false;
  const cmp = model.comparison;
  box.append(el("h2", cmp.production_id && cmp.production_id !== model.id
    ? `Modèle n° ${model.id} comparé avec le modèle en production (n° ${cmp.production_id})`
    : `Modèle n° ${model.id} : ses résultats sur les jeux d'évaluation`));
  const cards = el("div", null, "set-cards");
  for (const [name, s] of Object.entries(cmp.sets)) cards.append(setCard(name, s));
  box.append(cards);
  const sets = Object.keys(cmp.sets);
  if (!sets.includes(view.set)) view.set = sets[0];
  const picker = el("div", null, "set-picker");
  picker.setAttribute("role", "group");
  picker.setAttribute("aria-label", "Jeu d'évaluation détaillé");
  const detail = el("div", null, "set-detail");
  picker.append(el("span", "Voir le détail du", "muted small"));
  for (const name of sets) {
    const b = testid(button(`jeu ${name}`, "secondary-button", () => {
      view.set = name;
      for (const other of picker.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === b));
      renderSet(detail, cmp.sets[name], name);
    }), `detail-${name}`);
    b.setAttribute("aria-pressed", String(name === view.set));
    picker.append(b);
  }
  if (sets.length) box.append(picker, detail);
  if (cmp.sets[view.set]) renderSet(detail, cmp.sets[view.set], view.set);
  box.append(publishArea(model, cmp));
}

function setCard(name, s) {
  const card = testid(el("div", null, `set-card${s.worse ? " worse" : ""}`), `set-${name}`);
  card.append(el("div", `Jeu ${name} (${s.examples} motifs${s.blind ? ", à l'aveugle" : ""})`, "muted small"));
  const big = el("div", pct(s.candidate.accuracy), "big");
  big.append(el("span", " de justesse", "unit"));
  card.append(big);
  if (s.delta) {
    const trend = s.delta.accuracy < -5e-4 ? "down" : s.delta.accuracy > 5e-4 ? "up" : "same";
    card.append(el("div", `${signed(s.delta.accuracy)} · production : ${pct(s.production.accuracy)}`, trend),
      el("div", `F1 macro : ${pct(s.candidate.macro_f1)} (${signed(s.delta.macro_f1)})`, "muted small"),
      el("div", `${plural(s.better_count, "motif mieux classé", "motifs mieux classés")}, ${s.worse_count} moins bien`, "muted small"));
  } else {
    card.append(el("div", `F1 macro : ${pct(s.candidate.macro_f1)}`, "muted small"));
  }
  return card;
}

/** One held-out set in detail: per-journey F1, confusion matrix, confusions; its reasons for set A only. */
function renderSet(box, s, name) {
  box.replaceChildren();
  const charts = el("div", null, "charts");
  const left = el("div", null, "chart");
  left.append(el("h3", s.production ? `F1 par parcours sur le jeu ${name} : écart avec la production` : `F1 par parcours sur le jeu ${name}`),
    deltaChart(s.per_journey, Boolean(s.production)));
  const right = el("div", null, "chart");
  right.append(el("h3", "Matrice de confusion (lignes : attendu, colonnes : prédit)"), matrix(s.confusion));
  charts.append(left, right);
  box.append(charts);
  if (s.confused_with.length) {
    box.append(el("h3", "Confusions les plus fréquentes (attendu → prédit)"));
    const ul = el("ul", null, "confusions");
    for (const c of s.confused_with) ul.append(el("li", `${label(c.expected)} → ${label(c.predicted)} : ${c.count}`));
    box.append(ul);
  }
  if (s.blind) {
    box.append(el("p", `Jeu ${name} à l'aveugle : ${plural(s.better_count, "motif mieux classé", "motifs mieux classés")}, ${s.worse_count} moins bien. Ses phrases ne sont pas montrées : il mesure ainsi ce que le NLU fait sur des appelants que personne n'a lus.`, "muted small blind"));
  } else if (s.production) {
    for (const [title, items, id] of [["Mieux classés qu'en production", s.better, "better"],
      ["Moins bien classés qu'en production", s.worse_examples, "worse"]]) {
      box.append(el("h3", `${title} (${items.length})`));
      const ul = testid(el("ul", null, "moved"), id);
      for (const m of items) {
        const li = el("li", `« ${m.text} »`);
        li.append(el("div", `attendu : ${label(m.expected)} · production : ${label(m.before)} → candidat : ${label(m.after)}`, "muted small"));
        ul.append(li);
      }
      if (!items.length) ul.append(el("li", "aucun", "muted"));
      box.append(ul);
    }
  }
}

function publishArea(model, cmp) {
  const area = testid(el("div", null, "publish"), "publish-area");
  const error = testid(el("p", null, "field-error"), "publish-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  if (model.in_production && !view.canRollBack) {
    area.append(el("strong", "Ce modèle est en production."),
      el("span", "C'est le premier publié : il n'y a pas de modèle précédent où revenir.", "muted small"));
    return area;
  }
  if (model.in_production) {
    area.append(el("strong", "Ce modèle est en production."),
      testid(button("Revenir au modèle précédent", "secondary-button", async (event) => {
        event.target.disabled = true;
        try {
          const done = await api("POST", `/api/trainer/models/${model.id}/rollback`, {});
          notice(`Retour au modèle n° ${done.model_id} : il sert de nouveau les appels.`, "ok", true);
          $("comparison").hidden = true;
          view.selected = null;
          await loadModels();
        } catch (err) {
          say(error, err.message);
          event.target.disabled = false;
        }
      }), "rollback"), error);
    return area;
  }
  if (model.status !== "ready") return area;
  const worse = cmp.worse_on.length > 0;
  let reason = null;
  if (worse) {
    area.append(el("p", `Ce candidat fait moins bien que la production sur le${cmp.worse_on.length > 1 ? "s jeux" : " jeu"} ${cmp.worse_on.join(", ")} : la publication doit être forcée, avec une raison.`, "warning"));
    const field = el("label", "Raison de la publication forcée");
    reason = testid(el("input"), "force-reason");
    reason.maxLength = 1000;
    field.append(reason);
    area.append(field);
  }
  area.append(testid(button(worse ? "Publier quand même" : "Publier", worse ? "danger-button" : "primary-button", async (event) => {
    event.target.disabled = true;
    try {
      const body = worse ? { force: true, reason: reason.value } : {};
      const done = await api("POST", `/api/trainer/models/${model.id}/publish`, body);
      notice(`Modèle n° ${done.model_id} publié : le serveur Rasa l'a chargé en ${done.load_seconds ?? "?"} s, sans interrompre les appels.`, "ok", true);
      await loadModels();
      await showModel(model.id);
    } catch (err) {
      say(error, problemText(err));
      event.target.disabled = false;
      if (reason && !reason.value.trim()) reason.focus();
    }
  }), "publish"), error);
  return area;
}

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Per-journey F1 bars: the change against production (around a zero axis), or the F1 itself; the value at
 * the end of each line. The scale follows the largest change, so that a point of F1 is seen. */
function deltaChart(rows, hasDelta) {
  const width = 560, row = 22, left = 230, right = 80, area = width - left - right, mid = left + area / 2;
  const height = rows.length * row + 8;
  const largest = Math.max(0.02, ...rows.map((r) => Math.abs(r.delta_f1 || 0)));
  const chart = svg("svg", { class: "bar-svg", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": hasDelta ? "Écart de F1 par parcours avec le modèle en production" : "F1 par parcours" });
  rows.forEach((r, i) => {
    const y = 4 + i * row;
    const value = hasDelta ? (r.delta_f1 || 0) : r.f1;
    const w = hasDelta ? (Math.abs(value) / largest) * (area / 2) : value * area;
    const x = hasDelta ? (value < 0 ? mid - w : mid) : left;
    const fill = !hasDelta ? "#0b5cad" : value < 0 ? "#a4161a" : "#1b6b33";
    const bar = svg("rect", { x, y: y + 4, width: Math.max(w, 1), height: row - 8, fill });
    bar.append(svg("title", {}, `${r.label} : F1 ${pct(r.f1)}${hasDelta ? ` (${signed(r.delta_f1)})` : ""}`));
    chart.append(svg("text", { x: 0, y: y + 15 }, r.label), bar,
      svg("text", { x: width, y: y + 15, "text-anchor": "end", class: hasDelta ? (value < 0 ? "down" : value > 0 ? "up" : "") : "" },
        hasDelta ? signed(r.delta_f1) : pct(r.f1)));
  });
  if (hasDelta) chart.append(svg("line", { x1: mid, x2: mid, y1: 0, y2: height, stroke: "#535e6c" }));
  return chart;
}

const luminance = (rgb) => rgb.map((v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
  .reduce((sum, c, k) => sum + c * [0.2126, 0.7152, 0.0722][k], 0);
const DARK_TEXT = [29, 37, 48];  // --fg

/** A cell's shade of ``rgb`` (``strength`` 0 to 1, blended on white: opaque) and a text colour that reads on it
 * (4.5:1 at least): white on the dark shades, the page's text colour on the light ones; a shade that neither
 * would read on is made darker. */
function cellColours(rgb, strength) {
  const dark = luminance(DARK_TEXT);
  for (let a = strength; ; a = Math.min(1, a + 0.02)) {
    const background = rgb.map((c) => Math.round(255 - (255 - c) * a));
    const lum = luminance(background);
    if (1.05 / (lum + 0.05) >= 4.5) return { background: `rgb(${background.join(", ")})`, color: "#fff" };
    if ((lum + 0.05) / (dark + 0.05) >= 4.5) return { background: `rgb(${background.join(", ")})`, color: "rgb(29, 37, 48)" };
    if (a === 1) return { background: `rgb(${rgb.join(", ")})`, color: "#fff" };
  }
}

function matrix(confusion) {
  const table = testid(el("table", null, "matrix"), "confusion");
  const max = Math.max(1, ...confusion.matrix.flat());
  const head = el("tr");
  head.append(el("th"));
  for (const code of confusion.labels) {
    const th = el("th", null, "col");
    th.scope = "col";
    th.title = `prédit : ${label(code)}`;
    th.append(el("span", short(code)));
    head.append(th);
  }
  table.append(head);
  confusion.matrix.forEach((line, i) => {
    const tr = el("tr");
    const th = el("th", short(confusion.labels[i]));
    th.scope = "row";
    th.title = `attendu : ${label(confusion.labels[i])}`;
    tr.append(th);
    line.forEach((n, j) => {
      const td = el("td", n || "", i === j ? "diag" : "");
      if (n) Object.assign(td.style, cellColours(i === j ? [11, 92, 173] : [164, 22, 26], 0.15 + 0.85 * (n / max)));
      td.title = `attendu ${label(confusion.labels[i])}, prédit ${label(confusion.labels[j])} : ${n}`;
      tr.append(td);
    });
    table.append(tr);
  });
  return table;
}

// -- start ------------------------------------------------------------------------------------------------
async function start() {
  try {
    await signInAsMe();
    if (!auth.permissions.has("nlu:curate")) {
      showAuthError("Cette console est réservée aux entraîneurs du chatbot (habilitation nlu:curate).");
      return;
    }
    const inbox = await api("GET", "/api/trainer/inbox?limit=1");
    view.journeys = inbox.journeys;
    view.labels = Object.fromEntries(inbox.journeys.map((j) => [j.code, j.label]));
    for (const j of view.journeys) {
      const option = el("option", j.label);
      option.value = j.code;
      $("f-journey").append(option);
    }
    $("example-journey").replaceChildren(...journeyOptions(null));
    for (const id of ["tabs", "console", "production"]) $(id).hidden = false;  // the trainer's only
  } catch (err) {
    showAuthError(err.message);
    return;
  }
  for (const tab of ["inbox", "examples", "models"]) $(`tab-${tab}`).addEventListener("click", () => showTab(tab));
  $("inbox-filters").addEventListener("submit", (e) => { e.preventDefault(); loadInbox().catch(fail); });
  $("example-form").addEventListener("submit", addExample);
  $("entity-mark").addEventListener("click", markEntity);
  $("example-text").addEventListener("input", () => { if (entities.length) { entities = []; renderEntities(); } });
  $("train-form").addEventListener("submit", train);
  await loadModels().catch(fail);
  showTab(new URLSearchParams(location.hash.slice(1)).get("tab") || "inbox");
}

start();
