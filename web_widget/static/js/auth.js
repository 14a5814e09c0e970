// Sign-in (portal token, session storage, or development sign-in) and the token's renewal.

import { $ } from "./dom.js";

const params = new URLSearchParams(location.search);

export const PROFILES = {
  n1_customer_contact: "Conseiller N1", n2_technical: "Conseiller N2 technique", fleet_avsc: "Conseiller AVSC",
  collection: "Conseiller recouvrement", supervisor: "Superviseur", team_leader: "Responsable d'équipe",
  trainer: "Entraîneur du chatbot", admin: "Administrateur",
};

export const auth = { token: null, devLogin: null, login: null, profile: null, permissions: new Set(), expiresAt: null };
let renewTimer = null;

export function can(permission) { return auth.permissions.has(permission); }

export function showAuthError(message) {
  const box = $("auth-error");
  box.textContent = message;
  box.hidden = !message;
}

export async function readJson(response) {
  try { return await response.json(); } catch (err) { return null; }
}

export async function devSignIn(login) {
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

export async function signIn() {
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

export function showAdvisor() {
  const label = PROFILES[auth.profile] || auth.profile;
  $("advisor").textContent = auth.login ? (label ? `${auth.login} · ${label}` : auth.login) : "";
}

/** What the socket's hello (or renewed) frame says of the advisor. */
export function signedInAs(message) {
  auth.login = message.advisor;
  auth.profile = message.profile;
  auth.permissions = new Set(message.permissions || []);
  showAdvisor();
  showAuthError("");
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

/** Renews the token before ``expiresAt``; ``onToken`` passes the new one on (the socket's renew frame). */
export function scheduleRenewal(expiresAt, onToken) {
  auth.expiresAt = expiresAt ? new Date(expiresAt) : null;
  if (renewTimer) clearTimeout(renewTimer);
  if (!auth.expiresAt) return;
  const left = auth.expiresAt.getTime() - Date.now();
  const wait = Math.max(Math.min(left - 60000, left * 0.8), 0);
  renewTimer = setTimeout(async () => {
    try {
      onToken(await freshToken());
    } catch (err) {
      showAuthError(err.message);
    }
  }, wait);
}
