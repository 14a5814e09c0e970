// The REST API: Bearer token, the current call as X-Call-Id, problems (RFC 9457) as ApiError.

import { auth, devSignIn, readJson, showAdvisor, showAuthError, signIn } from "./auth.js";
import { state } from "./state.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `Erreur ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export async function api(method, path, body, retried = false) {
  const headers = { Authorization: `Bearer ${auth.token}`, Accept: "application/json" };
  if (state.call) headers["X-Call-Id"] = state.call;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { detail: "Le serveur ne répond pas : vérifiez la connexion et réessayez." });
  }
  const data = r.status === 204 ? null : await readJson(r);
  if (r.status === 401 && auth.devLogin && !retried) {  // development token expired: sign in again once
    try { await devSignIn(auth.devLogin); } catch (err) { showAuthError(err.message); throw new ApiError(401, data); }
    return api(method, path, body, true);
  }
  if (r.status === 401) showAuthError(`Session expirée ou invalide : ${(data && data.detail) || "reconnectez-vous."}`);
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

/** The field a problem's error is about: « params.email » (the schema's) and « email » (the act's) alike. */
export function errorField(error) {
  return String(error.field || "").replace(/^params\./, "");
}

/** Signs in (``signIn``), then reads who the token is for (GET /api/me) and shows it in the bar. */
export async function signInAsMe() {
  await signIn();
  const me = await api("GET", "/api/me");
  auth.login = me.login;
  auth.profile = me.profile;
  auth.permissions = new Set(me.permissions);
  showAdvisor();
  return me;
}
