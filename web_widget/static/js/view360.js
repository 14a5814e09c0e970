// The customer card: the 360° view by blocks and priorities, the flags on top, the pop's customer.

import { api } from "./api.js";
import { can } from "./auth.js";
import { $, button, displayNode, el, frDate, sleep, testid } from "./dom.js";
import { EDITORS, hasOptions, openEditor, openOptions } from "./edits.js";
import { state } from "./state.js";

const PRIORITY_ORDER = ["indispensable", "important", "secondary"];

export function notice(text, kind = "info") {
  const box = $("view-notice");
  box.textContent = text || "";
  box.className = `banner banner-${kind}`;
  box.hidden = !text;
}

/** A field of the view shown (by name), or undefined. */
export function viewField(name) {
  if (!state.view) return undefined;
  return state.view.blocks.flatMap((b) => b.fields).find((f) => f.name === name);
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

// Flags read from a field's items (tolerant: items without these keys give none).
function itemFlags(field) {
  const items = Array.isArray(field.value) ? field.value : [];
  const flags = [];
  if (field.name === "orders") {
    for (const order of items) {
      if (!order || typeof order !== "object") continue;
      const late = Array.isArray(order.late_steps) ? order.late_steps : [];
      if (late.length) {
        const steps = late.map((s) => `${s.label} (prévue le ${frDate(s.expected_on)})`).join(", ");
        flags.push(["order-late", "danger", `Commande ${order.number} en retard : ${steps}`]);
      }
      if (order.due_today === true) {
        flags.push(["order-today", "warn", `Commande ${order.number} : une étape est prévue aujourd'hui`]);
      }
    }
  }
  if (field.name === "ongoing_events") {
    for (const event of items) {
      const times = event && Number(event.gestures_for_reason);
      if (event && event.kind === "complaint" && times > 0) {
        flags.push(["complaint-compensated", times > 1 ? "danger" : "warn",
          `Réclamation en cours déjà dédommagée ${times} fois pour ce motif : ${event.summary}`]);
      }
    }
  }
  return flags;
}

function chip(kind, display, id) {
  const node = displayNode(display, `flag flag-${kind}`);
  return testid(node, id);
}

// ``atLeast``: the version an edit just returned. The API may answer an edit before its transaction is
// committed, so a read right after it can still be the old version: read again, briefly, until it is there.
export function loadView(customerId, options = {}) {
  state.viewLoading = fetchView(customerId, options);
  return state.viewLoading;
}

async function fetchView(customerId, { keepNotice = false, atLeast = 0 }) {
  const request = ++state.viewRequest;
  const box = $("view360");
  if (!state.view || state.view.customer_id !== customerId) {
    box.replaceChildren(el("p", "Chargement de la fiche client…", "muted"));
  }
  if (!keepNotice) notice("");
  const path = `/api/customers/${encodeURIComponent(customerId)}/view360`;
  try {
    let data = await api("GET", path);
    for (let attempt = 1; data.version < atLeast && attempt <= 8 && request === state.viewRequest; attempt++) {
      await sleep(100 * attempt);
      data = await api("GET", path);
    }
    if (request !== state.viewRequest) return;
    state.view = data;
    renderView();
  } catch (err) {
    if (request !== state.viewRequest) return;
    state.view = null;
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
  if (err.status !== 403 && state.popCustomer && state.popCustomer.lines) {  // what the screen pop already told us
    const ul = testid(el("ul", null, "value-list"), "lines");
    for (const line of state.popCustomer.lines) ul.append(el("li", `${line.display_number} — ${line.offer_label}`));
    box.append(el("h3", "Lignes"), ul);
  }
}

export function renderView() {
  const view = state.view;
  const box = $("view360");
  const flags = $("flags");
  flags.replaceChildren();
  box.replaceChildren();
  const identity = viewField("identity");
  renderHead(identity ? identity.display : state.popCustomer && state.popCustomer.display_name, view.customer_id);
  for (const block of view.blocks) {
    const details = el("details", null, `block block-${block.name}`);
    details.open = true;
    testid(details, `block-${block.name}`);
    details.dataset.block = block.name;
    details.append(el("summary", block.label, "block-title"));
    const fields = block.fields
      .filter((f) => f.name !== "identity")
      .sort((a, b) => PRIORITY_ORDER.indexOf(a.priority) - PRIORITY_ORDER.indexOf(b.priority));
    const main = fields.filter((f) => f.priority !== "secondary");
    const secondary = fields.filter((f) => f.priority === "secondary");
    for (const field of main) details.append(fieldNode(field));
    if (secondary.length) {
      const more = testid(el("details", null, "secondary"), `secondary-${block.name}`);
      more.append(el("summary", `Autres informations (${secondary.length})`));
      for (const field of secondary) more.append(fieldNode(field));
      details.append(more);
    }
    box.append(details);
    for (const field of fields) {
      const flag = flagOf(field);
      if (flag) flags.append(chip(flag[0], flag[1], `flag-${field.name}`));
      for (const [id, kind, text] of itemFlags(field)) flags.append(chip(kind, text, `flag-${id}`));
    }
  }
  if (!view.blocks.length) box.append(el("p", "Votre profil ne donne accès à aucun bloc de la fiche.", "muted"));
}

function renderHead(name, customerId) {
  const head = $("customer-head");
  head.replaceChildren(testid(el("div", name || "Client", "name"), "customer-name"));
  if (customerId !== undefined && customerId !== null) head.append(el("span", `N° client ${customerId}`, "muted"));
}

export function fieldNode(field) {
  const node = testid(el("div", null, `field prio-${field.priority}`), `field-${field.name}`);
  node.dataset.field = field.name;
  const flag = flagOf(field);
  if (flag) node.classList.add(`field-${flag[0]}`);
  const head = el("div", null, "field-head");
  head.append(el("span", field.label, "label"));
  const editor = EDITORS[field.name];
  if (editor && can(editor.permission)) {
    const edit = testid(button("Modifier", "link", () => openEditor(node, field, editor)), `edit-${field.name}`);
    edit.setAttribute("aria-label", `Modifier : ${field.label}`);
    head.append(edit);
  } else if (field.name === "offers_options" && can("act:edit_options") && hasOptions(field)) {
    const edit = testid(button("Gérer", "link", () => openOptions(node, field)), "edit-offers_options");
    edit.setAttribute("aria-label", "Gérer les options");
    head.append(edit);
  }
  node.append(head, displayNode(field.display, "value"));
  return node;
}

/** The customer of the pop: the 360° view (kept for the same call and customer), or the search. */
export function renderCustomer(customer, sameCall) {
  $("unknown").hidden = !!customer;
  $("customer").hidden = !customer;
  const changed = !customer || !state.popCustomer || customer.id !== state.popCustomer.id;
  state.popCustomer = customer;
  if (!customer) {
    state.viewRequest++;
    state.view = null;
    $("customer-head").replaceChildren();
    $("flags").replaceChildren();
    $("view360").replaceChildren();
    notice("");
    return;
  }
  if (sameCall && !changed && state.view) return;  // same call, same customer: keep the view (and any open edit)
  $("search-results").replaceChildren();
  $("search-more").hidden = true;
  state.view = null;
  $("flags").replaceChildren();
  renderHead(customer.display_name, customer.id);
  loadView(customer.id);
}
