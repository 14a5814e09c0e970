// The panel websocket: pops and call updates in, chat, customer choice and renewal out.

import { auth, devSignIn, showAuthError } from "./auth.js";
import { $ } from "./dom.js";

const params = new URLSearchParams(location.search);
let socket = null;
let reconnectDelay = 1000;
let lastSocketError = null;
let handler = () => {};

export function setConnection(text, on) {
  $("connection").textContent = text;
  $("connection").className = `pill ${on ? "pill-on" : "pill-off"}`;
}

export function isOpen() { return !!socket && socket.readyState === WebSocket.OPEN; }

/** Sends a frame; false when the socket is not open. */
export function send(frame) {
  if (!isOpen()) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

function received(message) {
  if (message.type === "hello") {
    setConnection("Connecté", true);
    reconnectDelay = 1000;
  } else if (message.type === "session_expired" || message.type === "error") {
    lastSocketError = message.detail;
  }
  handler(message);
}

/** Opens the socket; ``onMessage`` gets every frame. Reconnects on its own. */
export function connect(onMessage, retriedAuth = false) {
  handler = onMessage;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = new URLSearchParams({ token: auth.token });
  if (params.get("call_id")) query.set("call_id", params.get("call_id"));
  lastSocketError = null;
  socket = new WebSocket(`${scheme}://${location.host}/ws/panel?${query}`);
  socket.onopen = () => setConnection("Connexion…", false);  // « Connecté » once signed in (hello)
  socket.onclose = async (e) => {
    if (e.code === 4401) {
      if (auth.devLogin && !retriedAuth) {  // the development token has expired: one new sign-in
        try { await devSignIn(auth.devLogin); connect(onMessage, true); return; } catch (err) { showAuthError(err.message); }
      } else {
        showAuthError(`Connexion refusée : ${lastSocketError || "authentification requise."} `
          + "Rouvrez le panneau depuis le portail.");
      }
      setConnection("Non connecté", false);
      return;
    }
    setConnection("Déconnecté — reconnexion…", false);
    setTimeout(() => connect(onMessage), reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 10000);
  };
  socket.onmessage = (e) => { try { received(JSON.parse(e.data)); } catch (err) { console.error(err); } };
}
