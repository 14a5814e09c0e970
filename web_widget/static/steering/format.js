// French formats of the steering page: KPI values by unit, gaps, ranks, periods, times; the trace events' labels.

const COUNT = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
const ONE = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const TWO = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const EUROS = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
const NBSP = "\u00a0";
export const NONE = "—";

const missing = (v) => v === null || v === undefined || Number.isNaN(v);

/** 359.6 → « 6 min 00 s », 45 → « 45 s », 3900 → « 1 h 05 min ». */
export function duration(seconds) {
  if (missing(seconds)) return NONE;
  const s = Math.round(Math.abs(seconds));
  const sign = seconds < 0 && s ? "−" : "";
  if (s < 60) return `${sign}${s}${NBSP}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}${NBSP}min ${String(s % 60).padStart(2, "0")}${NBSP}s`;
  return `${sign}${Math.floor(s / 3600)}${NBSP}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}${NBSP}min`;
}

/** Whole minutes on a chart's axis: 600 → « 10 min », 3600 → « 1 h », 5400 → « 1 h 30 ». */
export function minutes(seconds) {
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m}${NBSP}min`;
  return m % 60 ? `${Math.floor(m / 60)}${NBSP}h ${String(m % 60).padStart(2, "0")}` : `${m / 60}${NBSP}h`;
}

/** A ticking duration: « 4:05 », « 1:02:09 ». */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(s >= 3600 ? 2 : 1, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

export const count = (v) => (missing(v) ? NONE : COUNT.format(v));

/** A KPI's value as its unit says (« — » for a ratio over nothing). */
export function value(v, unit) {
  if (missing(v)) return NONE;
  switch (unit) {
    case "seconds": return duration(v);
    case "ratio": return `${ONE.format(100 * v)}${NBSP}%`;
    case "euros": return EUROS.format(v);
    case "per_call": return TWO.format(v);
    default: return COUNT.format(v);
  }
}

/** The gap to a median: « +2 min 10 s », « −3,2 pt », « +12 », « ±0 ». */
export function gap(v, unit) {
  if (missing(v)) return NONE;
  const size = unit === "ratio" ? Math.abs(100 * v) : Math.abs(v);
  if (tiny(v, unit)) return `±0${unit === "ratio" ? `${NBSP}pt` : ""}`;
  const sign = v > 0 ? "+" : "−";
  if (unit === "seconds") return sign + duration(size);
  if (unit === "ratio") return `${sign}${ONE.format(size)}${NBSP}pt`;
  if (unit === "euros") return sign + EUROS.format(size);
  if (unit === "per_call") return sign + TWO.format(size);
  return sign + COUNT.format(size);
}

/** A gap too small to show (« ±0 »): under a tenth of a point, half a second, a cent. */
function tiny(v, unit) {
  const size = unit === "ratio" ? Math.abs(100 * v) : Math.abs(v);
  return unit === "ratio" ? size < 0.05 : unit === "seconds" ? size < 0.5 : size < 0.005;
}

/** Whether a gap is good news: the KPI's ``better`` way (null: neither; « ±0 »: neither). */
export function verdict(v, better, unit) {
  if (missing(v) || !better || tiny(v, unit)) return "same";
  return (v > 0) === (better === "higher") ? "up" : "down";
}

/** 1 → « 1ᵉʳ sur 3 », 2 → « 2ᵉ sur 3 ». */
export function rank(r, of) {
  if (missing(r)) return NONE;
  return `${r}${r === 1 ? "ᵉʳ" : "ᵉ"} sur ${of}`;
}

const pad = (n) => String(n).padStart(2, "0");
const MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
  "novembre", "décembre"];

/** « 2026-11-30 » → « 30/11/2026 ». */
export function day(iso) {
  if (!iso) return NONE;
  const [y, m, d] = String(iso).slice(0, 10).split("-");
  return `${d}/${m}/${y}`;
}

/** What a supervisor typed, « 1/12/2026 » or « 01.12.2026 », as the API reads it (« 2026-12-01 »); null when it
 * is no date (« 31/02/2026 »). */
export function isoDay(text) {
  const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text || "");
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCDate() === d && date.getUTCMonth() === mo - 1 ? `${y}-${pad(mo)}-${pad(d)}` : null;
}

/** A row's period as the API gives it (a day, or an hour in Paris time: « 2026-11-30T10:00:00+01:00 »). */
export function period(kind, start) {
  if (!start) return NONE;
  const [y, m, d] = start.slice(0, 10).split("-");
  if (kind === "hour") return `${d}/${m} ${start.slice(11, 13)}${NBSP}h`;
  if (kind === "week") return `sem. du ${d}/${m}/${y}`;
  if (kind === "month") return `${MONTHS[Number(m) - 1]} ${y}`;
  return `${d}/${m}/${y}`;
}

/** A shorter period for a chart's axis. */
export function periodTick(kind, start) {
  const [, m, d] = start.slice(0, 10).split("-");
  if (kind === "hour") return `${start.slice(11, 13)}${NBSP}h`;
  if (kind === "month") return `${MONTHS[Number(m) - 1].slice(0, 4)}. ${start.slice(2, 4)}`;
  return `${d}/${m}`;
}

/** The Paris wall-clock time of an ISO instant the API wrote with its offset: « 10:00:12 » (and the day). */
export function time(iso, withDay = false) {
  if (!iso) return NONE;
  const hms = iso.slice(11, 19);
  return withDay ? `${day(iso)} ${hms}` : hms;
}

/** « 01/12 17:56:05 »: a call's start in a list. */
export const moment = (iso) => (iso ? `${iso.slice(8, 10)}/${iso.slice(5, 7)} ${iso.slice(11, 19)}` : NONE);

/** Seconds from the start of the call: « +0:10 », « +12:03 ». */
export const offset = (s) => (missing(s) ? "" : `+${clock(s)}`);

// -- the trace, as a supervisor reads it ------------------------------------------------------------------
export const EVENTS = {
  "call.offered": "Appel présenté", "call.answered": "Décroché", "call.held": "Mis en attente",
  "call.resumed": "Reprise après attente", "call.ended": "Appel terminé", "call.wrapup": "Après-appel terminé",
  "call.reason": "Motif reçu", "call.transcript": "Transcription", "call.dtmf": "Choix du serveur vocal",
  "call.transferred_warm": "Transféré à chaud", "call.transferred_cold": "Transféré à froid",
  "call.transferred": "Transféré", "call.expired": "Appel expiré", "call.unassigned": "Appel sans conseiller",
  "call.reopened": "Appel rouvert", "call.restored": "Appel restauré", "call.correlated": "Appel rattaché",
  "call.data": "Données de l'appel", "call.access_refused": "Accès refusé", "call.event_rejected": "Événement rejeté",
  "customer.lookup": "Recherche de l'appelant", "customer.searched": "Recherche de client",
  "customer.read": "Fiche client consultée", "customer.updated": "Coordonnées modifiées",
  "screen_pop.sent": "Fiche affichée au conseiller", "nlu.predicted": "Parcours détecté",
  "nlu.unavailable": "NLU indisponible", "nlu.corrected": "Parcours corrigé", "chat.asked": "Question au copilote",
  "action.executed": "Réponse du copilote", "act.suggested": "Actes suggérés", "act.opened": "Acte ouvert",
  "act.previewed": "Aperçu de l'acte", "act.done": "Acte réalisé", "act.cancelled": "Acte abandonné",
  "act.refused": "Acte refusé", "payment_method.changed": "Moyen de paiement modifié", "option.added": "Option ajoutée",
  "option.removed": "Option retirée", "guardianship.changed": "Mesure de protection modifiée",
  "transfer.prerequisites_checked": "Prérequis du transfert vérifiés", "transfer.requested": "Transfert demandé",
  "transfer.acknowledged": "Transfert acquitté", "transfer.declined": "Transfert refusé par le N2",
  "transfer.picked_up": "Transfert pris en corbeille", "transfer.closed": "Transfert clos",
  "transfer.connected": "Appel transféré", "transfer.refused": "Transfert impossible",
};
export const eventLabel = (name) => EVENTS[name] || name;

export const TRANSFER_MODES = { warm: "à chaud", cold: "à froid" };
