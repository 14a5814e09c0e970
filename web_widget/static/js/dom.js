// DOM helpers. Every customer-supplied string goes through textContent (el's text), never innerHTML.

export const $ = (id) => document.getElementById(id);

export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

export function button(text, className, onClick, type = "button") {
  const b = el("button", text, className);
  b.type = type;
  if (onClick) b.addEventListener("click", onClick);
  return b;
}

/** Sets the node's data-testid (the browser tests' handle) and returns it. */
export function testid(node, id) {
  node.dataset.testid = id;
  return node;
}

/** Focuses the element with this data-testid (inside ``root``), if there is one; returns it. */
export function focusTestId(id, root = document) {
  const node = root.querySelector(`[data-testid="${CSS.escape(id)}"]`);
  if (node) node.focus();
  return node;
}

/** A 360° display value: text, or a list of texts. */
export function displayNode(display, className) {
  if (Array.isArray(display)) {
    if (!display.length) return el("div", "—", className);
    const ul = el("ul", null, `${className} value-list`);
    for (const item of display) ul.append(el("li", item));
    return ul;
  }
  return el("div", display === null || display === undefined || display === "" ? "—" : display, className);
}

export function frDate(iso) {
  if (!iso) return "—";
  const [y, m, d] = String(iso).slice(0, 10).split("-");
  return `${d}/${m}/${y}`;
}

export function nationalNumber(e164) {
  if (!e164) return "";
  const m = /^\+33(\d{9})$/.exec(e164);
  return m ? `0${m[1]}`.replace(/(\d{2})(?=\d)/g, "$1 ") : e164;
}

export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** A form error or a field error paragraph, hidden until it has something to say. */
export function errorLine(className, id) {
  const p = el("p", null, className);
  if (id) testid(p, id);
  p.hidden = true;
  return p;
}

export function say(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}
