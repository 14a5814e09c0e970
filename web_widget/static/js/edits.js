// Edits in place in the 360° view: contacts, payment method, options. Focus goes back to the field's
// « Modifier » button when the edit is saved or dropped.

import { api, errorField } from "./api.js";
import { $, button, el, errorLine, focusTestId, nationalNumber, testid } from "./dom.js";
import { state } from "./state.js";
import { fieldNode, loadView, notice, viewField } from "./view360.js";

const CONTACT_EDIT = {
  permission: "act:edit_contact",
  submit: (data) => api("PATCH", `/api/customers/${state.view.customer_id}`, { ...data, version: state.view.version }),
};

export const EDITORS = {
  email: {
    ...CONTACT_EDIT,
    inputs: [{ name: "email", label: "E-mail", inputmode: "email", autocomplete: "off", maxlength: 200 }],
    initial: (v) => ({ email: v || "" }),
    nullable: ["email"],
  },
  phones: {
    ...CONTACT_EDIT,
    inputs: [{ name: "contact_phone", label: "Téléphone de contact", inputmode: "tel", maxlength: 32 }],
    initial: (v) => ({ contact_phone: nationalNumber(v && v.contact_phone) }),
    nullable: ["contact_phone"],
  },
  postal_address: {
    ...CONTACT_EDIT,
    inputs: [{ name: "address_line", label: "Adresse", maxlength: 300 },
      { name: "postcode", label: "Code postal", inputmode: "numeric", maxlength: 10, short: true },
      { name: "city", label: "Ville", maxlength: 120 }],
    initial: (v) => ({ address_line: (v && v.address_line) || "", postcode: (v && v.postcode) || "",
      city: (v && v.city) || "" }),
  },
  payment_method: {
    permission: "act:edit_payment_method",
    title: "Nouveau prélèvement",
    inputs: [{ name: "iban", label: "IBAN", maxlength: 50, autocomplete: "off" },
      { name: "holder", label: "Titulaire du compte", maxlength: 200 }],
    initial: (v) => ({ iban: "", holder: (v && v.holder) || "" }),
    submit: (data) => api("PUT", `/api/customers/${state.view.customer_id}/payment-method`,
      { kind: "direct_debit", iban: data.iban, holder: data.holder, version: state.view.version }),
  },
};

/** The guardianship's warning for a form acting on a protected customer (the view's own words), or null. */
export function guardianshipNote(id) {
  const field = viewField("guardianship");
  if (!field || !field.value) return null;
  const text = Array.isArray(field.display) ? field.display.join(" ; ") : field.display;
  const note = testid(el("p", `⚠ ${text}`, "banner banner-warn guardianship-note"), id);
  note.setAttribute("role", "note");
  return note;
}

function backToField(name) {
  focusTestId(`edit-${name}`, $("view360"));
}

function closeEditor(node, field) {
  node.replaceWith(fieldNode(field));
  backToField(field.name);
}

export function openEditor(node, field, editor) {
  const form = testid(el("form", null, "edit-form"), `form-${field.name}`);
  form.noValidate = true;
  const initial = editor.initial(field.value);
  const formError = errorLine("form-error", `form-error-${field.name}`);
  formError.setAttribute("role", "alert");
  const inputs = {};
  const errors = {};
  form.append(el("div", editor.title || field.label, "label"));
  const note = guardianshipNote(`guardianship-warning-${field.name}`);
  if (note) form.append(note);
  for (const spec of editor.inputs) {
    const id = `edit-${field.name}-${spec.name}`;
    const wrap = el("div", null, `edit-input${spec.short ? " edit-short" : ""}`);
    const label = el("label", spec.label);
    label.htmlFor = id;
    const input = testid(el("input"), `input-${spec.name}`);
    input.id = id;
    input.name = spec.name;
    input.value = initial[spec.name] || "";
    input.maxLength = spec.maxlength || 200;
    input.autocomplete = spec.autocomplete || "off";
    if (spec.inputmode) input.inputMode = spec.inputmode;
    const error = errorLine("field-error", `error-${spec.name}`);
    error.id = `${id}-error`;
    input.setAttribute("aria-describedby", error.id);
    wrap.append(label, input, error);
    form.append(wrap);
    inputs[spec.name] = input;
    errors[spec.name] = error;
  }
  const save = testid(button("Enregistrer", null, null, "submit"), `save-${field.name}`);
  const cancel = button("Annuler", "secondary-button", () => closeEditor(form, field));
  form.append(formError, el("div", null, "row edit-actions"));
  form.lastChild.append(cancel, save);
  form.addEventListener("keydown", (e) => { if (e.key === "Escape") closeEditor(form, field); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const name of Object.keys(inputs)) {
      errors[name].hidden = true;
      inputs[name].removeAttribute("aria-invalid");
    }
    formError.hidden = true;
    const data = {};
    for (const [name, input] of Object.entries(inputs)) {
      const raw = input.value.trim();
      data[name] = raw === "" && (editor.nullable || []).includes(name) ? null : raw;
    }
    save.disabled = true;
    save.textContent = "Enregistrement…";
    try {
      const edited = await editor.submit(data);
      notice(`${field.label} : modification enregistrée.`, "ok");
      await loadView(state.view.customer_id, { keepNotice: true, atLeast: edited.version });
      backToField(field.name);
    } catch (err) {
      save.disabled = false;
      save.textContent = "Enregistrer";
      showEditError(err, field, inputs, errors, formError);
    }
  });
  node.replaceWith(form);
  const first = Object.values(inputs)[0];
  if (first) first.focus();
}

async function showEditError(err, field, inputs, errors, formError) {
  if (err.status === 409) {
    notice(`${err.message} La fiche a été rechargée.`, "warn");
    await loadView(state.view.customer_id, { keepNotice: true, atLeast: Number(err.problem.current_version) || 0 });
    backToField(field.name);
    return;
  }
  const unplaced = [];
  if (err.status === 422 && Array.isArray(err.problem.errors)) {
    for (const e of err.problem.errors) {
      const name = errorField(e);
      if (errors[name]) {
        errors[name].textContent = e.message;
        errors[name].hidden = false;
        inputs[name].setAttribute("aria-invalid", "true");
      } else {
        unplaced.push(e.message);
      }
    }
    const firstBad = Object.keys(inputs).find((n) => !errors[n].hidden);
    if (firstBad) inputs[firstBad].focus();
  }
  const text = [err.message, ...unplaced].filter(Boolean).join(" ");
  formError.textContent = err.status === 403 ? `Modification non autorisée : ${err.message}` : text;
  formError.hidden = !formError.textContent;
}

// Options: each held option can be removed (the API has no options catalogue to offer new ones).
export function hasOptions(field) {
  return Array.isArray(field.value) && field.value.some((l) => l.options && l.options.length);
}

function lineIds() {
  const lines = viewField("lines");
  const ids = {};
  for (const line of (lines && lines.value) || []) ids[line.number] = line.id;
  return ids;
}

export function openOptions(node, field) {
  const box = testid(el("div", null, "edit-form"), "form-offers_options");
  box.append(el("div", "Options des lignes", "label"));
  const ids = lineIds();
  const status = errorLine("form-error");
  status.setAttribute("role", "alert");
  for (const line of field.value) {
    if (!line.options.length) continue;
    box.append(el("div", `${nationalNumber(line.line)} — ${line.offer}`, "option-line"));
    const ul = el("ul", null, "option-list");
    for (const option of line.options) {
      const li = el("li", null, "row");
      li.append(el("span", option.label));
      const remove = button("Retirer", "link danger", async () => {
        remove.disabled = true;
        status.hidden = true;
        try {
          const edited = await api("DELETE", `/api/customers/${state.view.customer_id}/lines/${ids[line.line]}/options/`
            + `${encodeURIComponent(option.code)}`);
          notice(`« ${option.label} » retirée.`, "ok");
          await loadView(state.view.customer_id, { keepNotice: true, atLeast: edited.version });
          backToField(field.name);
        } catch (err) {
          remove.disabled = false;
          if (err.status === 409) { showEditError(err, field, {}, {}, status); return; }
          status.textContent = err.message;
          status.hidden = false;
        }
      });
      remove.disabled = ids[line.line] === undefined;
      remove.setAttribute("aria-label", `Retirer ${option.label}`);
      li.append(remove);
      ul.append(li);
    }
    box.append(ul);
  }
  box.append(status, el("div", null, "row edit-actions"));
  box.lastChild.append(button("Fermer", "secondary-button", () => closeEditor(box, field)));
  box.addEventListener("keydown", (e) => { if (e.key === "Escape") closeEditor(box, field); });
  node.replaceWith(box);
  const first = box.querySelector("button");
  if (first) first.focus();
}
