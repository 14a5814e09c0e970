// The unknown caller's search: by name (with a birth date), line number or e-mail; a result attaches the
// customer to the call. City and birth date tell namesakes apart when the API gives them.

import { api } from "./api.js";
import { $, button, el, frDate } from "./dom.js";
import { send } from "./socket.js";
import { state } from "./state.js";

let searchQuery = null;  // {key, q, birth} of the last search, for « Plus de résultats »

function resultButton(item) {
  const pick = button("", "result", () => {
    send({ type: "attach_customer", call_id: state.call, customer_id: item.id });
  });
  const facts = [item.line_numbers.join(", ") || "aucune ligne"];
  if (item.city) facts.push(item.city);
  if (item.birth_date) facts.push(`né(e) le ${frDate(item.birth_date)}`);
  pick.append(el("strong", item.display_name), el("span", facts.join(" · "), "muted"));
  return pick;
}

async function runSearch(cursor) {
  const results = $("search-results");
  const more = $("search-more");
  more.hidden = true;
  if (!cursor) results.replaceChildren();
  const { key, q, birth } = searchQuery;
  const query = new URLSearchParams({ [key]: q, limit: "10" });
  if (key === "name" && birth) query.set("birth_date", birth);
  if (cursor) query.set("cursor", cursor);
  try {
    const page = await api("GET", `/api/customers?${query}`);
    if (!page.items.length && !cursor) results.append(el("li", "Aucun client trouvé.", "muted"));
    for (const item of page.items) {
      const li = el("li");
      li.append(resultButton(item));
      results.append(li);
    }
    more.hidden = !page.next_cursor;
    more.onclick = () => runSearch(page.next_cursor);
  } catch (err) {
    const why = err.status === 422 && err.problem.errors
      ? err.problem.errors.map((x) => x.message).join(" ") : err.status ? err.message : "";
    results.append(el("li", `Recherche impossible. ${why}`.trim(), "warning"));
  }
}

export function clearSearch() {
  $("search-results").replaceChildren();
  $("search-more").hidden = true;
}

export function setupSearch() {
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("search-input").value.trim();
    clearSearch();
    if (!q) return;
    const key = q.includes("@") ? "email" : /^[+\d\s.]+$/.test(q) ? "line" : "name";
    searchQuery = { key, q, birth: $("search-birth").value };
    runSearch(null);
  });
}
