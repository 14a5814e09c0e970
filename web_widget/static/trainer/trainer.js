// The trainer's console: the inbox of reasons to review, the curated examples, candidates and publication.
// Everything comes from /api/trainer/… (nlu:curate); every string from callers goes through textContent.

import { api, ApiError } from "../js/api.js";
import { auth, showAdvisor, showAuthError, signIn } from "../js/auth.js";
import { $, button, el, say, sleep, testid } from "../js/dom.js";

const SVG = "http://www.w3.org/2000/svg";
const SOURCE_LABELS = { unsure: "NLU incertain", corrected: "corrigé", dropped: "actes abandonnés" };
const ACTIONS = { publish: "Publication", force: "Publication forcée", rollback: "Retour arrière", repository: "Modèle du dépôt" };
const STATUS = { training: "En entraînement", ready: "Prêt", failed: "Échec" };
const view = { journeys: [], labels: {}, production: null, selected: null, polling: null, set: "A" };

const pct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(1)} %`);
const signed = (x) => (x === null || x === undefined ? "—" : `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(100 * x).toFixed(1)} pt`);
const when = (iso) => (iso ? new Date(iso.endsWith("Z") || iso.includes("+") ? iso : `${iso}Z`).toLocaleString("fr-FR") : "—");

function notice(text, kind = "ok") {
  const box = $("notice");
  box.className = `card banner ${kind === "error" ? "banner-error" : "banner-ok"}`;
  say(box, text);
}

function fail(err) {
  notice(err instanceof ApiError || err instanceof Error ? err.message : String(err), "error");
}

function journeySelect(selected, testId) {
  const select = el("select");
  for (const j of view.journeys) {
    const option = el("option", `${j.label} (${j.code})`);
    option.value = j.code;
    if (j.code === selected) option.selected = true;
    select.append(option);
  }
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
  for (const [key, id] of [["journey", "f-journey"], ["source", "f-source"], ["centre", "f-centre"],
    ["since", "f-since"], ["until", "f-until"]]) {
    if ($(id).value) params.set(key, $(id).value);
  }
  const body = await api("GET", `/api/trainer/inbox?${params}`);
  const list = $("inbox-list");
  list.replaceChildren(...body.groups.map(renderGroup));
  $("inbox-empty").hidden = body.groups.length > 0;
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
  if (group.centres.length) meta.append(el("span", `centres : ${group.centres.join(", ")}`, "muted"));
  meta.append(el("span", `dernier : ${when(group.last_seen)}`, "muted"));
  li.append(text, meta);
  if (group.variants.length) {
    const ul = el("ul", null, "variants");
    for (const v of group.variants) ul.append(el("li", v));
    li.append(ul);
  }
  const error = el("p", null, "field-error");
  error.hidden = true;
  const actions = el("div", null, "group-actions");
  if (group.heldout) {
    actions.append(el("span", "Phrase d'un jeu d'évaluation : elle ne peut pas devenir un exemple.", "warning"));
  } else {
    const select = journeySelect(group.suggested, "group-journey");
    select.setAttribute("aria-label", "Parcours de l'exemple");
    const accept = testid(button(group.suggested ? "Accepter" : "Étiqueter", "primary-button", async () => {
      accept.disabled = true;
      try {
        const made = await api("POST", "/api/trainer/examples", { text: text.value, journey: select.value, inbox_id: group.id });
        notice(`Exemple n° ${made.id} ajouté (« ${made.journey_label} ») : il servira au prochain entraînement.`);
        li.remove();
      } catch (err) {
        say(error, err.message + (err.problem && err.problem.errors ? ` ${err.problem.errors.map((e) => e.message).join(" ")}` : ""));
        accept.disabled = false;
      }
    }), "group-accept");
    select.addEventListener("change", () => {
      accept.textContent = select.value === group.suggested ? "Accepter" : "Réétiqueter";
    });
    actions.append(select, accept);
    if (group.in_repository) {
      actions.append(el("span", `déjà dans les données du dépôt (${view.labels[group.in_repository] || group.in_repository})`, "muted small"));
    }
  }
  actions.append(testid(button("Rejeter", "secondary-button", async () => {
    try {
      await api("POST", `/api/trainer/inbox/${group.id}/reject`, {});
      notice("Groupe rejeté : il quitte la boîte de réception.");
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

async function addExample(event) {
  event.preventDefault();
  const error = $("example-error");
  try {
    const made = await api("POST", "/api/trainer/examples", { text: $("example-text").value, journey: $("example-journey").value });
    say(error, "");
    $("example-text").value = "";
    notice(`Exemple n° ${made.id} ajouté (« ${made.journey_label} »).`);
    await loadExamples();
  } catch (err) {
    const fields = err.problem && err.problem.errors ? err.problem.errors.map((e) => e.message).join(" ") : "";
    say(error, `${err.message} ${fields}`.trim());
  }
}

// -- models -----------------------------------------------------------------------------------------------
function figure(model, set) {
  const f = model.figures && model.figures[set];
  return f ? pct(f.accuracy) : "—";
}

async function loadModels() {
  const body = await api("GET", "/api/trainer/models");
  view.production = body.production;
  $("production").textContent = body.production
    ? `Modèle en production : n° ${body.production.id} (${body.production.source === "repository" ? "dépôt" : "candidat"})`
    : "Modèle en production : —";
  $("models-list").replaceChildren(...body.models.map((m) => {
    const tr = testid(el("tr", null, m.id === view.selected ? "selected" : ""), "model");
    tr.dataset.modelId = m.id;
    const state = m.in_production ? "En production" : STATUS[m.status] || m.status;
    const open = el("td");
    if (m.status === "ready") open.append(testid(button("Comparer", "link", () => showModel(m.id)), "model-compare"));
    tr.append(el("td", m.id), el("td", m.source === "repository" ? "dépôt" : (m.note || "candidat")), el("td", state),
      el("td", figure(m, "A")), el("td", figure(m, "B")), el("td", figure(m, "C")), el("td", m.created_by), open);
    return tr;
  }));
  $("history").replaceChildren(...body.history.map((h) => {
    const tr = testid(el("tr"), "publication");
    const f = (s) => (h.figures && h.figures[s] ? pct(h.figures[s].accuracy) : "—");
    tr.append(el("td", when(h.published_at)), el("td", `n° ${h.model_id}`), el("td", ACTIONS[h.action] || h.action),
      el("td", h.published_by), el("td", h.reason || ""), el("td", f("A")), el("td", f("B")), el("td", f("C")));
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
    await loadModels();
    follow(started.id);
  } catch (err) { fail(err); }
}

async function follow(id) {
  view.polling = id;
  const box = $("training");
  box.hidden = false;
  box.classList.remove("failed");
  $("training-cancel").hidden = false;
  $("training-cancel").onclick = async () => {
    try { await api("POST", `/api/trainer/models/${id}/cancel`); } catch (err) { fail(err); }
  };
  try {
    for (;;) {
      const m = await api("GET", `/api/trainer/models/${id}`);
      $("training-step").textContent = `Candidat n° ${id} : ${m.step || ""}`;
      $("training-bar").value = m.progress || 0;
      $("training-pct").textContent = `${Math.round(100 * (m.progress || 0))} %`;
      if (m.status === "ready") {
        box.hidden = true;
        notice(`Candidat n° ${id} prêt (${Math.round(m.train_seconds || 0)} s d'entraînement) : comparez-le avec le modèle en production.`);
        await loadModels();
        renderModel(m);
        break;
      }
      if (m.status === "failed") {
        box.classList.add("failed");
        $("training-step").textContent = `Candidat n° ${id} : ${m.error}`;
        $("training-cancel").hidden = true;
        await loadModels();
        break;
      }
      await sleep(1000);
    }
  } finally { view.polling = null; }
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
  const against = cmp.production_id && cmp.production_id !== model.id ? `le modèle en production (n° ${cmp.production_id})` : "aucun autre modèle";
  box.append(el("h2", `Modèle n° ${model.id} comparé avec ${against}`));
  const cards = el("div", null, "set-cards");
  for (const [name, s] of Object.entries(cmp.sets)) {
    const card = testid(el("div", null, `set-card${s.worse ? " worse" : ""}`), `set-${name}`);
    card.append(el("div", `Jeu ${name} (${s.examples} motifs${s.blind ? ", à l'aveugle" : ""})`, "muted small"),
      el("div", pct(s.candidate.accuracy), "big"));
    if (s.delta) {
      const d = el("div", `${signed(s.delta.accuracy)} de justesse · F1 macro ${pct(s.candidate.macro_f1)} (${signed(s.delta.macro_f1)})`,
        s.delta.accuracy < 0 ? "down" : s.delta.accuracy > 0 ? "up" : "");
      card.append(d, el("div", `production : ${pct(s.production.accuracy)} · ${s.better_count} mieux, ${s.worse_count} moins bien`, "muted small"));
    } else {
      card.append(el("div", `F1 macro ${pct(s.candidate.macro_f1)}`, "muted small"));
    }
    cards.append(card);
  }
  box.append(cards);
  const sets = Object.keys(cmp.sets);
  if (!sets.includes(view.set)) view.set = sets[0];
  const picker = el("div", null, "row-end");
  picker.append(el("span", "Détail du jeu :", "muted small"));
  for (const name of sets) {
    const b = testid(button(name, name === view.set ? "primary-button" : "secondary-button", () => { view.set = name; renderModel(model); }), `detail-${name}`);
    picker.append(b);
  }
  box.append(picker);
  const s = cmp.sets[view.set];
  if (s) {
    const charts = el("div", null, "charts");
    const left = el("div", null, "chart");
    left.append(el("h3", s.production ? "F1 par parcours : écart avec la production" : "F1 par parcours"), deltaChart(s.per_journey, Boolean(s.production)));
    const right = el("div", null, "chart");
    right.append(el("h3", "Matrice de confusion (lignes : attendu, colonnes : prédit)"), matrix(s.confusion));
    charts.append(left, right);
    box.append(charts);
    if (s.confused_with.length) {
      box.append(el("h3", "Confusions les plus fréquentes"));
      const ul = el("ul", null, "moved");
      for (const c of s.confused_with) ul.append(el("li", `${view.labels[c.expected] || c.expected} → ${view.labels[c.predicted] || c.predicted} : ${c.count}`));
      box.append(ul);
    }
    if (s.blind) {
      box.append(el("p", `Jeu ${view.set} à l'aveugle : ${s.better_count} motif(s) mieux classé(s), ${s.worse_count} moins bien ; ses phrases ne sont pas montrées, pour qu'il mesure toujours ce que le NLU fait sur des appelants que personne n'a lus.`, "muted small"));
    } else if (s.production) {
      for (const [title, items] of [["Mieux classés qu'en production", s.better], ["Moins bien classés qu'en production", s.worse_examples]]) {
        box.append(el("h3", `${title} (${items.length})`));
        const ul = testid(el("ul", null, "moved"), title.startsWith("Mieux") ? "better" : "worse");
        for (const m of items) ul.append(el("li", `« ${m.text} » attendu ${view.labels[m.expected] || m.expected} : ${view.labels[m.before] || m.before} → ${view.labels[m.after] || m.after}`));
        box.append(ul);
      }
    }
  }
  box.append(publishArea(model, cmp));
}

function publishArea(model, cmp) {
  const area = testid(el("div", null, "publish"), "publish-area");
  const error = testid(el("p", null, "field-error"), "publish-error");
  error.hidden = true;
  if (model.in_production) {
    area.append(el("strong", "Ce modèle est en production."),
      testid(button("Revenir au modèle précédent", "secondary-button", async () => {
        try {
          const done = await api("POST", `/api/trainer/models/${model.id}/rollback`, {});
          notice(`Retour au modèle n° ${done.model_id} : il sert de nouveau les appels.`);
          await loadModels();
          await showModel(done.model_id);
        } catch (err) { say(error, err.message); }
      }), "rollback"), error);
    return area;
  }
  const worse = cmp.worse_on.length > 0;
  let reason = null;
  if (worse) {
    area.append(el("p", `Ce candidat fait moins bien que la production sur le${cmp.worse_on.length > 1 ? "s jeux" : " jeu"} ${cmp.worse_on.join(", ")} : la publication doit être forcée, avec une raison.`, "warning"));
    const label = el("label", "Raison de la publication forcée");
    reason = testid(el("input"), "force-reason");
    reason.maxLength = 1000;
    label.append(reason);
    area.append(label);
  }
  area.append(testid(button(worse ? "Publier quand même" : "Publier", worse ? "danger-button" : "primary-button", async (event) => {
    event.target.disabled = true;
    try {
      const body = worse ? { force: true, reason: reason.value } : {};
      const done = await api("POST", `/api/trainer/models/${model.id}/publish`, body);
      notice(`Modèle n° ${done.model_id} publié : le serveur Rasa l'a chargé en ${done.load_seconds ?? "?"} s, sans interrompre les appels.`);
      await loadModels();
      await showModel(model.id);
    } catch (err) {
      const fields = err.problem && err.problem.errors ? err.problem.errors.map((e) => e.message).join(" ") : "";
      say(error, `${err.message} ${fields}`.trim());
      event.target.disabled = false;
    }
  }), "publish"), error);
  return area;
}

function deltaChart(rows, hasDelta) {
  const width = 460, row = 20, left = 190, mid = left + (width - left) / 2, scale = (width - left) / 2 / 0.3;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "bar-svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${rows.length * row + 10}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", hasDelta ? "Écart de F1 par parcours avec le modèle en production" : "F1 par parcours");
  rows.forEach((r, i) => {
    const y = 5 + i * row;
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(y + 13));
    label.textContent = r.label;
    const value = hasDelta ? (r.delta_f1 || 0) : r.f1;
    const rect = document.createElementNS(SVG, "rect");
    const w = Math.min(Math.abs(value) * (hasDelta ? scale : (width - left)), hasDelta ? (width - left) / 2 : width - left);
    rect.setAttribute("x", String(hasDelta ? (value < 0 ? mid - w : mid) : left));
    rect.setAttribute("y", String(y + 3));
    rect.setAttribute("width", String(Math.max(w, 1)));
    rect.setAttribute("height", "13");
    rect.setAttribute("fill", !hasDelta ? "#0b5cad" : value < 0 ? "#a4161a" : "#1b6b33");
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${r.label} : F1 ${pct(r.f1)}${hasDelta ? ` (${signed(r.delta_f1)})` : ""}`;
    rect.append(title);
    svg.append(label, rect);
  });
  if (hasDelta) {
    const axis = document.createElementNS(SVG, "line");
    for (const [k, v] of [["x1", mid], ["x2", mid], ["y1", 0], ["y2", rows.length * row + 10]]) axis.setAttribute(k, String(v));
    axis.setAttribute("stroke", "#535e6c");
    svg.append(axis);
  }
  return svg;
}

function matrix(confusion) {
  const table = testid(el("table", null, "matrix"), "confusion");
  const max = Math.max(1, ...confusion.matrix.flat());
  const head = el("tr");
  head.append(el("th"));
  for (const label of confusion.labels) head.append(el("th", label, "col"));
  table.append(head);
  confusion.matrix.forEach((line, i) => {
    const tr = el("tr");
    tr.append(el("th", confusion.labels[i]));
    line.forEach((n, j) => {
      const td = el("td", n || "", i === j ? "diag" : "");
      const alpha = n / max;
      td.style.background = n ? `rgba(${i === j ? "11, 92, 173" : "164, 22, 26"}, ${0.15 + 0.85 * alpha})` : "#fff";
      td.style.color = alpha > 0.5 ? "#fff" : "#1d2530";
      td.title = `${confusion.labels[i]} → ${confusion.labels[j]} : ${n}`;
      tr.append(td);
    });
    table.append(tr);
  });
  return table;
}

// -- start ------------------------------------------------------------------------------------------------
async function start() {
  try {
    await signIn();
    const me = await api("GET", "/api/me");
    auth.login = me.login;
    auth.profile = me.profile;
    auth.permissions = new Set(me.permissions);
    showAdvisor();
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
    $("example-journey").replaceChildren(...journeySelect("move").children);
  } catch (err) {
    showAuthError(err.message);
    return;
  }
  for (const tab of ["inbox", "examples", "models"]) $(`tab-${tab}`).addEventListener("click", () => showTab(tab));
  $("inbox-filters").addEventListener("submit", (e) => { e.preventDefault(); loadInbox().catch(fail); });
  $("example-form").addEventListener("submit", addExample);
  $("train-form").addEventListener("submit", train);
  await loadModels().catch(fail);
  showTab(new URLSearchParams(location.hash.slice(1)).get("tab") || "inbox");
}

start();
