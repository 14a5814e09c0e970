// What the panel is showing, shared by the modules.

export const state = {
  call: null,            // the current call's id (sent as X-Call-Id)
  pop: null,             // the current call's last screen pop
  callState: null,       // its state (offered, answered, ended…)
  popCustomer: null,     // the customer of the current pop (CustomerPublic) or null
  view: null,            // the 360° view shown, with its version
  viewRequest: 0,        // discards answers to superseded requests
  viewLoading: null,     // the last request of the view (a promise that never rejects)
  incoming: new Map(),   // call id → the last pop of a call that waits for « Basculer »
  acts: null,            // act code → the catalogue's act with « allowed » for this advisor (GET /api/acts)
  journeys: [],          // [{code, label, acts}] (GET /api/journeys)
};
