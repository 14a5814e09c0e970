"""Guided assistance scripts (journeys "breakdown" and "usage_help"): pure data and their look-ups.

A script is read to the customer step by step; each step says what to do and what the customer should see
when it worked. ``run_script`` (``crm_core.acts.support``) records the steps done into the line's ticket.
A script applies to a kind of line (``fixed``: the box and what hangs on it, ``mobile``) and names the
equipment it is about, so the panel offers only the scripts that fit the customer's lines.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    id: str
    instruction: str  # French: what the customer does
    expected: str  # French: what the customer should see if it worked


@dataclass(frozen=True)
class Script:
    code: str
    title: str  # French
    journeys: tuple[str, ...]
    equipment: str  # the Equipment.kind it is about: box | decoder | phone
    line_kind: str  # the Line.kind it applies to: fixed | mobile
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


SCRIPTS: tuple[Script, ...] = (
    Script("wifi_coupures", "Coupures du wifi de la box", ("breakdown", "usage_help"), "box", "fixed", (
        Step("voyants", "Vérifier les voyants de la box (alimentation et fibre/internet)",
             "Les voyants alimentation et internet sont fixes (pas de clignotement rouge)"),
        Step("redemarrage", "Redémarrer la box : débrancher l'alimentation 30 secondes puis rebrancher",
             "Après 3 minutes, le voyant internet est fixe et le wifi réapparaît"),
        Step("emplacement", "Placer la box en hauteur, à découvert, loin d'un micro-ondes ou d'une base DECT",
             "Le signal wifi affiché sur le téléphone gagne au moins une barre"),
        Step("canal", "Changer le canal wifi dans l'interface de la box (canal automatique ou 1, 6, 11)",
             "Plus de coupure pendant 10 minutes d'utilisation"),
        Step("bande_5ghz", "Connecter les appareils proches à la bande 5 GHz (réseau séparé du 2,4 GHz)",
             "Le débit mesuré sur le téléphone dépasse 100 Mb/s près de la box"),
        Step("filaire", "Tester un ordinateur branché en Ethernet pendant une coupure",
             "La connexion filaire tient : le problème vient du wifi et non de la ligne"),
    )),
    Script("pas_de_connexion", "Plus d'accès à internet", ("breakdown",), "box", "fixed", (
        Step("panne_secteur", "Vérifier l'absence d'incident déclaré dans la commune (outil d'incidents)",
             "Aucun incident en cours à l'adresse du client"),
        Step("cables", "Vérifier le câble fibre (ou ADSL) et l'alimentation de la box, bien enfoncés",
             "Les câbles sont branchés, sans pli sur la fibre"),
        Step("voyants", "Relever la couleur du voyant fibre/internet",
             "Le voyant internet est fixe ; s'il est rouge ou éteint, passer à l'étape suivante"),
        Step("redemarrage", "Redémarrer la box : débrancher l'alimentation 30 secondes puis rebrancher",
             "Après 3 minutes, le voyant internet devient fixe"),
        Step("reinitialisation", "Réinitialiser la box (bouton reset 10 secondes) — les réglages wifi sont "
                                 "perdus", "La box redémarre et retrouve la connexion"),
        Step("test_ligne", "Lancer le test de ligne à distance depuis l'outil de supervision",
             "Le test de ligne est bon ; sinon, proposer un rendez-vous technicien"),
    )),
    Script("tv_pas_d_image", "La télévision n'affiche pas d'image", ("breakdown", "usage_help"), "box", "fixed", (
        Step("source", "Vérifier la source de la télévision (touche Source/Input, entrée HDMI du décodeur)",
             "L'écran affiche le menu du décodeur"),
        Step("hdmi", "Débrancher et rebrancher le câble HDMI, essayer une autre prise HDMI de la télévision",
             "L'image revient"),
        Step("decodeur", "Redémarrer le décodeur (débrancher 30 secondes) puis la box si besoin",
             "Le décodeur affiche les chaînes après 2 minutes"),
        Step("internet", "Vérifier qu'internet fonctionne sur la box (voyants, un autre appareil)",
             "Internet fonctionne : la panne est propre à la télévision"),
        Step("droits", "Vérifier les droits TV de la ligne (option incluse, chaîne dans le bouquet)",
             "La chaîne demandée fait partie de l'offre ou d'une option active"),
    )),
    Script("messagerie_vocale", "Configurer et consulter la messagerie vocale", ("usage_help",), "phone", "mobile", (
        Step("appel_888", "Appeler le 888 depuis le mobile (gratuit)", "Le serveur vocal de la messagerie répond"),
        Step("code", "Choisir un code secret à 4 chiffres (ni 0000 ni 1234)", "Le code est accepté"),
        Step("annonce", "Enregistrer l'annonce d'accueil", "L'annonce est réécoutée et validée"),
        Step("renvoi", "Vérifier le renvoi vers la messagerie (réglages d'appel, sur non-réponse après 20 s)",
             "Un appel non décroché arrive sur la messagerie"),
        Step("visuelle", "Activer la messagerie visuelle dans l'application Téléphone si le mobile la propose",
             "Les messages apparaissent dans l'onglet Messagerie"),
    )),
    Script("mobile_pas_de_data", "Pas d'internet mobile (données, APN)", ("breakdown", "usage_help"), "phone",
           "mobile", (
        Step("donnees", "Vérifier que les données mobiles sont activées et le mode avion coupé",
             "L'icône 4G ou 5G s'affiche en haut de l'écran"),
        Step("conso", "Vérifier que l'enveloppe de données du forfait n'est pas épuisée (consommation du mois)",
             "Il reste des données dans le forfait, ou le hors forfait est autorisé"),
        Step("redemarrage", "Redémarrer le mobile", "Le mobile retrouve le réseau et l'icône 4G ou 5G"),
        Step("apn", "Vérifier le point d'accès (APN) : réglages > réseau mobile > noms des points d'accès, "
                    "APN « internet », sans identifiant", "Une page web s'ouvre après avoir choisi cet APN"),
        Step("itinerance", "À l'étranger : activer l'itinérance des données", "L'internet mobile fonctionne"),
        Step("sim", "Tester la carte SIM dans un autre mobile", "La SIM fonctionne ailleurs : le mobile est en cause"),
    )),
)

BY_CODE: dict[str, Script] = {s.code: s for s in SCRIPTS}


def get(code: str) -> Script | None:
    return BY_CODE.get(code)


def for_line_kinds(kinds: set[str], journey: str | None = None) -> list[Script]:
    """The scripts for these kinds of line (and this journey, if one is given), in catalogue order."""
    return [s for s in SCRIPTS if s.line_kind in kinds and (journey is None or journey in s.journeys)]


def _check() -> None:
    for script in SCRIPTS:
        ids = [s.id for s in script.steps]
        if len(ids) != len(set(ids)) or any(len(i) > 40 for i in ids):
            raise ValueError(f"script {script.code}: step ids must be unique and at most 40 characters")


_check()
