// Profiles that do not read customers (trainer, administrator) get a page for their own work instead of the
// call screen: never a customer card nor a search they could not use.

import { auth } from "./auth.js";
import { $, el } from "./dom.js";

const SPACES = {
  trainer: {
    title: "Espace entraîneur",
    intro: "Votre profil sert à améliorer le copilote : les appels et les fiches clients ne s'affichent pas ici. "
      + "La console de l'entraîneur rassemble les motifs à revoir, les exemples, l'entraînement et la publication.",
    links: [
      ["Console de l'entraîneur", "/trainer"],
      ["Documentation de l'API (tous les services)", "/docs"],
      ["Motifs et actes du catalogue (GET /api/journeys)", "/docs#/acts"],
      ["Mon profil et mes habilitations (GET /api/me)", "/docs#/habilitations"],
    ],
  },
  admin: {
    title: "Espace administrateur",
    intro: "Votre profil gère les habilitations : les appels et les fiches clients ne s'affichent pas ici. "
      + "Profils métier et prêts de packs applicatifs se gèrent par l'API en attendant leurs écrans.",
    links: [
      ["Profils métier (GET /api/profiles)", "/docs#/habilitations"],
      ["Prêter un pack applicatif (POST /api/pack-loans)", "/docs#/habilitations"],
      ["Documentation de l'API (tous les services)", "/docs"],
    ],
  },
};
const OTHER = {
  title: "Espace de travail",
  intro: "Votre profil ne donne pas accès aux fiches clients : les appels ne s'affichent pas ici.",
  links: [["Documentation de l'API", "/docs"]],
};

export function showWorkspace() {
  const space = SPACES[auth.profile] || OTHER;
  $("workspace-title").textContent = space.title;
  $("workspace-intro").textContent = space.intro;
  $("workspace-links").replaceChildren(...space.links.map(([label, href]) => {
    const li = el("li");
    const a = el("a", label);
    a.href = href;
    li.append(a);
    return li;
  }));
  $("workspace").hidden = false;
  for (const id of ["idle", "call", "waiting", "incoming"]) $(id).hidden = true;
  document.querySelector(".skip-link").hidden = true;
}
