// A transfer's handover as the panels show it (level 1's preview before sending, level 2's offer and taken
// transfer): flags first, then the caller's words, the identity check, the customer's facts by priority, the
// acts done, the diagnostics tried, what remains, and level 1's edited text. Text only (el / displayNode).

import { displayNode, el, testid } from "./dom.js";

const PRIORITY = { indispensable: 0, important: 1, secondary: 2 };
const DANGER_FLAGS = new Set(["electronic_tag", "guardianship", "debt"]);

/** « 14:05 » (Paris time) of an ISO date-time, or "" when it has none. */
export function frTime(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  return at.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris" });
}

/** « il y a 3 min » for an age in seconds. */
export function frAge(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return "il y a moins d'1 min";
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `il y a ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `il y a ${hours} h ${String(rest).padStart(2, "0")}` : `il y a ${hours} h`;
}

function section(box, title, id, node) {
  const part = testid(el("section", null, "handover-part"), id);
  part.append(el("h4", title), node);
  box.append(part);
}

function list(items, render) {
  const ul = el("ul", null, "handover-list");
  for (const item of items) ul.append(render(item));
  return ul;
}

function identityLine(check) {
  const by = { line: "reconnu par son numéro d'appel", advisor: "choisi par le conseiller" }[check.identified_by];
  const checked = check.checked
    ? `Identité vérifiée${check.source === "advisor" ? " (déclaré par le conseiller)" : ""}`
    : "Identité non vérifiée";
  return by ? `${checked} — client ${by}` : checked;
}

/** The handover's sections; ``prefix`` makes the test ids unique when two are shown at once. */
export function handoverView(handover, editedText, prefix = "handover") {
  const box = testid(el("div", null, "handover"), prefix);
  const flags = handover.flags || [];
  if (flags.length) {
    const ul = testid(el("ul", null, "flags handover-flags"), `${prefix}-flags`);
    for (const f of flags) {
      const li = el("li", null, `flag ${DANGER_FLAGS.has(f.code) ? "flag-danger" : "flag-warn"}`);
      li.append(el("span", `${f.label} : `), el("span", f.detail, "flag-detail"));
      ul.append(li);
    }
    box.append(ul);
  }
  const journey = handover.journey || {};
  const head = el("p", null, "handover-journey");
  head.append(el("span", `Parcours : ${journey.label || "non détecté"}`));
  if (journey.corrected) head.append(" ", el("span", "motif corrigé", "pill pill-info"));
  box.append(head);
  if (handover.reason && handover.reason.text) {
    section(box, "Motif, dans les mots de l'appelant", `${prefix}-reason`,
      el("blockquote", `« ${handover.reason.text} »`, "handover-quote"));
  }
  if (handover.identity_check) {
    box.append(testid(el("p", identityLine(handover.identity_check),
      handover.identity_check.checked ? "handover-identity" : "handover-identity warning"), `${prefix}-identity`));
  }
  const facts = [...(handover.customer_facts || [])]
    .sort((a, b) => (PRIORITY[a.priority] ?? 3) - (PRIORITY[b.priority] ?? 3));
  if (facts.length) {
    const dl = el("dl", null, "handover-facts");
    for (const f of facts) {
      const row = testid(el("div", null, `handover-fact prio-${f.priority}`), `${prefix}-fact-${f.field}`);
      row.append(el("dt", f.label, "label"), testid(el("dd"), `${prefix}-fact-value-${f.field}`));
      row.lastChild.append(displayNode(f.display, "value"));
      dl.append(row);
    }
    section(box, "Client", `${prefix}-facts`, dl);
  }
  // the diagnoses and scripts are said once, with their results, under « Diagnostics tentés »
  const diagnosed = new Set((handover.diagnostics_tried || []).map((d) => `${d.act}@${d.at}`));
  const acts = (handover.acts_done || []).filter((a) => !diagnosed.has(`${a.act}@${a.at}`));
  if (acts.length) {
    section(box, "Actes faits pendant l'appel", `${prefix}-acts`, list(acts, (a) => {
      const li = el("li");
      li.append(el("span", `${frTime(a.at)} `, "muted"), el("strong", a.label));
      if (a.summary) li.append(el("span", ` — ${a.summary}`));
      return li;
    }));
  }
  const tried = handover.diagnostics_tried || [];
  if (tried.length) {
    section(box, "Diagnostics tentés", `${prefix}-diagnostics`, list(tried, (d) => {
      const li = el("li");
      li.append(el("span", `${frTime(d.at)} `, "muted"), el("strong", d.label));
      if (d.result) li.append(el("span", ` : ${d.result}`));
      if (d.solved === true) li.append(" ", el("span", "résolu", "pill pill-on"));
      if (d.solved === false) li.append(" ", el("span", "non résolu", "pill pill-warn"));
      return li;
    }));
  }
  const remaining = handover.remaining || [];
  if (remaining.length) {
    section(box, "Reste à faire", `${prefix}-remaining`, list(remaining, (r) => el("li", r.text)));
  }
  if (editedText) {
    section(box, "Passation rédigée par le niveau 1", `${prefix}-edited`, el("p", editedText, "handover-text"));
  }
  return box;
}
