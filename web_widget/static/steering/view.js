// What the steering page shows, shared by its modules: the KPI catalogue, the reader's scope, the filters.

export const view = {
  defs: [],            // GET /api/kpis/definitions: [{name, label, unit, formula, better}]
  byName: {},          // name → definition
  scope: null,         // {kind, code, label, levels, level_labels}
  level: "centre", period: "day", from: null, to: null, centre: "", team: "",
  rows: [], totals: null,
  journeys: {},        // journey code → French label (GET /api/journeys)
  acts: {},            // act code → French label (GET /api/acts)
  live: null,          // the last live frame
  compare: null,       // GET /api/kpis/compare of the centre chosen
};

export const def = (name) => view.byName[name] || { name, label: name, unit: "count", formula: "", better: null };

/** Upper-case first letter: « conseiller » → « Conseiller ». */
export const capital = (text) => (text ? text[0].toUpperCase() + text.slice(1) : "");

export const LEVEL_NAMES = { advisor: "conseiller", team: "équipe", centre: "centre", region: "région" };
export const levelName = (level) => (view.scope && view.scope.level_labels[level]) || LEVEL_NAMES[level] || level;

export const journeyLabel = (code) => (code ? view.journeys[code] || code : "Sans parcours");
export const actLabel = (code) => view.acts[code] || code;
