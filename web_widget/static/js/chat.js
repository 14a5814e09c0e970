// The chat with the copilot: questions and orders in French; its replies as text, or richer when they carry a
// « custom » payload: an answer from the 360° view, an act's preview to confirm, a question with choices, a
// result. The input is one shortcut away: Alt+C, or « / » outside an input.

import { actDone, outcomeView } from "./acts.js";
import { $, button, displayNode, el, testid } from "./dom.js";
import { send } from "./socket.js";
import { state } from "./state.js";

export function chatLine(content, cls) {
  const log = $("chat-log");
  const li = typeof content === "string" ? el("li", content, cls) : content;
  if (typeof content !== "string" && cls) li.classList.add(...cls.split(" "));
  log.append(li);
  log.scrollTop = log.scrollHeight;
  return li;
}

export function clearChat() { $("chat-log").replaceChildren(); }

/** Sends a message on the current call; false when it cannot leave (no call, socket closed). */
export function sendChat(text) {
  if (!text || !state.call) return false;
  if (!send({ type: "chat", call_id: state.call, text })) {
    chatLine("Message non envoyé : la connexion est coupée, réessayez dans un instant.", "err");
    return false;
  }
  chatLine(text, "me");
  return true;
}

function answerNode(custom) {
  const li = testid(el("li", null, "bot rich"), "chat-answer");
  for (const f of custom.fields || []) {
    const row = el("div", null, "chat-field");
    row.append(el("span", f.label, "label"), displayNode(f.display, "value"));
    li.append(row);
  }
  return li;
}

/** Buttons that answer the copilot once (then are disabled). */
function choiceButtons(li, choices) {
  const row = el("div", null, "row chat-choices");
  const buttons = choices.map(([label, answer, className, id]) => {
    const b = testid(button(label, className, () => {
      if (sendChat(answer)) for (const x of buttons) x.disabled = true;
    }), id);
    return b;
  });
  row.append(...buttons);
  li.append(row);
}

function previewNode(custom) {
  const li = testid(el("li", null, "bot rich"), "chat-act-preview");
  li.append(el("div", `Aperçu — ${custom.outcome.label}`, "chat-title"), outcomeView(custom.outcome, "chat-act"));
  choiceButtons(li, [["Annuler", "non", "secondary-button", "chat-act-cancel"],
    ["Confirmer", "oui", null, "chat-act-confirm"]]);
  return li;
}

function doneNode(custom) {
  const li = testid(el("li", null, "bot rich"), "chat-act-done");
  li.append(el("div", custom.outcome.writes ? `Fait — ${custom.outcome.label}` : custom.outcome.label, "chat-title"),
    outcomeView(custom.outcome, "chat-act"));
  actDone(custom.outcome);
  return li;
}

function questionNode(custom, text) {
  const li = testid(el("li", null, "bot rich"), "chat-act-question");
  const param = custom.param || {};
  li.append(el("div", `Il me faut : ${String(param.label || "").toLowerCase()}.`));
  choiceButtons(li, (param.choices || []).map((c, i) => [c.label, String(i + 1), "secondary-button",
    `chat-choice-${i + 1}`]));
  if (!(param.choices || []).length && text) li.firstChild.textContent = text;
  return li;
}

const RICH = {
  answer: (custom) => answerNode(custom),
  act_preview: (custom) => (custom.outcome ? previewNode(custom) : null),
  act_done: (custom) => (custom.outcome ? doneNode(custom) : null),
  act_question: (custom, text) => questionNode(custom, text),
};

/** A ``chat_reply`` frame. Rasa sends a text and its custom payload as two messages in a row: the rich
 * rendering of the payload takes the place of the text said just before it; other texts stay as they are. */
export function renderReply(message) {
  if (message.call_id && message.call_id !== state.call) return;
  if (message.error) chatLine(message.error, "err");
  let lastText = null;  // the text line just added, and its text
  for (const m of message.messages || []) {
    const custom = m.custom && typeof m.custom === "object" ? m.custom : null;
    const render = custom && RICH[custom.kind];
    const rich = render ? render(custom, m.text || (lastText && lastText.text)) : null;
    if (rich) {
      if (lastText) lastText.node.remove();
      chatLine(rich);
      lastText = null;
    } else if (m.text) {
      lastText = { node: chatLine(m.text, "bot"), text: m.text };
    }
  }
}

export function focusChat() {
  const input = $("chat-input");
  if (input.offsetParent === null) return false;  // no call shown
  input.focus();
  return true;
}

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export function setupChat() {
  $("chat-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("chat-input");
    if (sendChat(input.value.trim())) input.value = "";
  });
  document.addEventListener("keydown", (e) => {
    const alt = e.altKey && !e.ctrlKey && !e.metaKey && e.code === "KeyC";
    const slash = e.key === "/" && !e.altKey && !e.ctrlKey && !e.metaKey && !typing(e.target);
    if ((alt || slash) && focusChat()) e.preventDefault();
  });
  document.querySelector(".skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    focusChat();
  });
}
