"""The one catalogue of customer journeys (the NLU's labels) and of the management acts each one calls for.

Pure data, imported by both runtimes: the copilot (pops, ``GET /api/acts``, the panel), the CRM services
(``crm_core.acts``), the NLU (``nlu.journeys``) and the actions. ``tests/crm_core/acts/test_catalogue.py``
fails when the Rasa domain, the NLU data, the act services or the actions disagree with it.

An act names the permission it needs (``act:*`` for those that write, ``customer:read`` for reads), the
360° fields it reads (each must be visible to the advisor), and its parameters: what the panel's form and
the copilot's chat ask for, filled from the call where they can be.
"""

from dataclasses import dataclass, field

CUSTOMER_READ = "customer:read"

# -- permissions of the acts that write (the business profiles grant them, crm_core.services.habilitations) --
ACT_EDIT_CONTACT = "act:edit_contact"
ACT_EDIT_IDENTITY = "act:edit_identity"
ACT_EDIT_PAYMENT = "act:edit_payment_method"
ACT_EDIT_OPTIONS = "act:edit_options"
ACT_EDIT_GUARDIANSHIP = "act:edit_guardianship"
ACT_PAYMENT_EXTENSION = "act:grant_payment_extension"
ACT_MOVE = "act:move"
ACT_WITHDRAW = "act:withdraw"
ACT_TERMINATE = "act:terminate"
ACT_CREATE_CUSTOMER = "act:create_customer"
ACT_CHANGE_OFFER = "act:change_offer"
ACT_SEND_DOCUMENT = "act:send_document"
ACT_SUPPORT = "act:support"
ACT_COMPLAINT = "act:complaint"
ACT_GESTURE = "act:grant_gesture"
ACT_ORDERS = "act:manage_orders"

# Parameter types: how the panel draws the input and how the service checks the value.
PARAM_TYPES = frozenset({
    "text", "long_text", "email", "phone", "postcode", "date", "iban", "bic", "amount", "boolean", "choice",
    "line", "offer", "option", "order", "equipment", "invoice", "ticket", "slot", "script", "steps", "civility",
})


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    label: str  # French, shown in the form and asked by the copilot when missing
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()  # fixed (value, French label); others come with the form

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class ActSpec:
    code: str
    label: str  # French: the button
    journeys: tuple[str, ...]
    permission: str
    writes: bool
    params: tuple[Param, ...] = ()
    reads: tuple[str, ...] = ()  # 360° fields the act shows: each must be visible to the advisor
    needs_customer: bool = True
    description: str = ""  # French: what the act does, in one sentence

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class Journey:
    code: str
    label: str
    acts: tuple[str, ...] = field(default=())  # act codes, in the order the panel suggests them


JOURNEY_CODES = ("become_customer", "change_offer", "move", "withdraw", "terminate", "manage_account",
                 "billing_payment", "breakdown", "usage_help", "complaint", "out_of_scope")

JOURNEY_LABELS = {
    "become_customer": "Je deviens client",
    "change_offer": "Je change d'offre et/ou de matériel",
    "move": "Je déménage",
    "withdraw": "Je me rétracte",
    "terminate": "Je résilie",
    "manage_account": "Je consulte ou modifie mon compte",
    "billing_payment": "Je suis facturé, je paye",
    "breakdown": "Je suis en panne",
    "usage_help": "Je n'arrive pas à utiliser",
    "complaint": "Je ne suis pas content (réclamation)",
    "out_of_scope": "Hors périmètre",
}

CIVILITIES = (("Mme", "Madame"), ("M.", "Monsieur"))
LINE = Param("line", "line", "Ligne concernée")


def _spec(code: str, label: str, journeys: str, permission: str, writes: bool, *params: Param,
          reads: tuple[str, ...] = (), needs_customer: bool = True, description: str = "") -> ActSpec:
    return ActSpec(code, label, tuple(journeys.split()), permission, writes, params, reads, needs_customer,
                   description)


ACT_LIST: tuple[ActSpec, ...] = (
    # -- eligibility and offers (purchase journeys, move) ---------------------------------------------------
    _spec("check_eligibility", "Tester l'éligibilité à l'adresse", "become_customer change_offer move",
          CUSTOMER_READ, False,
          Param("postcode", "postcode", "Code postal de l'adresse"),
          reads=("eligibility",), needs_customer=False,
          description="Les offres du catalogue possibles à cette adresse, avec la raison quand une ne l'est pas."),
    _spec("recommend_offers", "Proposer des offres adaptées", "become_customer change_offer terminate",
          CUSTOMER_READ, False,
          reads=("eligibility", "offers_options", "interests"),
          description="Les offres auxquelles le client est éligible, classées selon ses centres d'intérêt et "
                      "ce qu'il détient, avec l'écart de prix, l'impact sur l'engagement et la vente croisée."),
    _spec("create_customer", "Créer le client", "become_customer", ACT_CREATE_CUSTOMER, True,
          Param("civility", "civility", "Civilité", choices=CIVILITIES),
          Param("first_name", "text", "Prénom"),
          Param("last_name", "text", "Nom"),
          Param("birth_date", "date", "Date de naissance"),
          Param("contact_phone", "phone", "Téléphone de contact"),
          Param("email", "email", "E-mail", required=False),
          Param("address_line", "text", "Adresse"),
          Param("postcode", "postcode", "Code postal"),
          Param("city", "text", "Ville"),
          needs_customer=False,
          description="Crée la fiche une seule fois, remplie avec ce que l'appel a déjà dit."),
    _spec("change_offer", "Changer d'offre", "change_offer", ACT_CHANGE_OFFER, True,
          LINE, Param("offer_code", "offer", "Nouvelle offre"),
          reads=("offers_options", "activation_commitment", "eligibility"),
          description="Change l'offre de la ligne après contrôle de l'éligibilité, avec l'écart de prix et le "
                      "nouvel engagement."),
    _spec("add_option", "Ajouter une option", "change_offer", ACT_EDIT_OPTIONS, True,
          LINE, Param("option_code", "option", "Option"),
          reads=("offers_options",)),
    _spec("remove_option", "Retirer une option", "change_offer", ACT_EDIT_OPTIONS, True,
          LINE, Param("option_code", "option", "Option"),
          reads=("offers_options",)),
    # -- web orders, resumable from the call (cross-channel) ------------------------------------------------
    _spec("follow_order", "Suivre la commande", "become_customer change_offer move breakdown",
          CUSTOMER_READ, False, Param("order", "order", "Commande"),
          reads=("orders",),
          description="Où en est la commande, étape par étape ; une étape en retard est signalée."),
    _spec("change_order_delivery", "Livrer la commande en boutique", "become_customer change_offer",
          ACT_ORDERS, True,
          Param("order", "order", "Commande"), Param("shop", "choice", "Boutique de retrait"),
          reads=("orders",)),
    _spec("cancel_order", "Annuler la commande", "become_customer change_offer withdraw", ACT_ORDERS, True,
          Param("order", "order", "Commande"), Param("reason", "text", "Motif", required=False),
          reads=("orders",)),
    # -- move ---------------------------------------------------------------------------------------------
    _spec("move_address", "Enregistrer le déménagement", "move", ACT_MOVE, True,
          Param("address_line", "text", "Nouvelle adresse"),
          Param("postcode", "postcode", "Code postal"),
          Param("city", "text", "Ville"),
          Param("move_date", "date", "Date du transfert"),
          Param("slot", "slot", "Créneau du technicien", required=False),
          reads=("postal_address", "lines", "offers_options", "eligibility"),
          description="Nouvelle adresse avec l'éligibilité là-bas, date de transfert de la box et créneau "
                      "technicien ; pour un client mobile seul, le changement d'adresse."),
    # -- withdraw -----------------------------------------------------------------------------------------
    _spec("check_withdrawal_period", "Vérifier le délai de rétractation (14 jours)", "withdraw",
          CUSTOMER_READ, False, Param("target", "choice", "Souscription ou achat"),
          reads=("lines", "orders"),
          description="Le délai de 14 jours compté depuis la souscription ou l'achat."),
    _spec("register_withdrawal", "Enregistrer la rétractation", "withdraw", ACT_WITHDRAW, True,
          Param("target", "choice", "Souscription ou achat"),
          Param("reason", "text", "Motif", required=False),
          reads=("lines", "orders", "equipment"),
          description="Enregistre la rétractation dans les 14 jours, avec la procédure de retour du matériel."),
    # -- terminate ----------------------------------------------------------------------------------------
    _spec("check_commitment_end", "Vérifier la fin d'engagement et les frais", "terminate manage_account",
          CUSTOMER_READ, False, reads=("activation_commitment",),
          description="La fin d'engagement de chaque ligne et les frais de résiliation anticipée."),
    _spec("register_termination", "Enregistrer la résiliation", "terminate", ACT_TERMINATE, True,
          LINE, Param("termination_date", "date", "Date de résiliation"),
          Param("reason", "text", "Motif", required=False),
          reads=("lines", "activation_commitment", "electronic_tag"),
          description="Programme la résiliation à la date voulue, avec les frais ; une ligne bracelet "
                      "électronique n'est jamais coupée par cet acte."),
    _spec("declare_holder_death", "Déclarer le décès du titulaire", "terminate", ACT_TERMINATE, True,
          Param("death_date", "date", "Date du décès"),
          Param("declarant_name", "text", "Nom du déclarant"),
          Param("declarant_phone", "phone", "Téléphone du déclarant"),
          reads=("identity", "lines"),
          description="Procédure décès : résiliation de toutes les lignes sans frais, sur acte de décès."),
    # -- manage account -----------------------------------------------------------------------------------
    _spec("update_contact_details", "Modifier les coordonnées", "manage_account move", ACT_EDIT_CONTACT, True,
          Param("email", "email", "E-mail", required=False),
          Param("contact_phone", "phone", "Téléphone de contact", required=False),
          reads=("email", "phones")),
    _spec("update_identity", "Corriger l'identité du titulaire", "manage_account", ACT_EDIT_IDENTITY, True,
          Param("civility", "civility", "Civilité", required=False, choices=CIVILITIES),
          Param("first_name", "text", "Prénom", required=False),
          Param("last_name", "text", "Nom", required=False),
          Param("birth_date", "date", "Date de naissance", required=False),
          reads=("identity", "birth_date")),
    _spec("set_guardian", "Enregistrer le représentant légal", "manage_account", ACT_EDIT_GUARDIANSHIP, True,
          Param("kind", "choice", "Mesure", choices=(("tutelle", "Tutelle"), ("curatelle", "Curatelle"),
                                                      ("sauvegarde", "Sauvegarde de justice"))),
          Param("guardian_name", "text", "Nom du représentant"),
          Param("guardian_phone", "phone", "Téléphone du représentant", required=False),
          Param("guardian_email", "email", "E-mail du représentant", required=False),
          reads=("guardianship",)),
    _spec("give_rio", "Donner le code RIO", "manage_account terminate", CUSTOMER_READ, False, LINE,
          reads=("lines",),
          description="Le relevé d'identité opérateur de la ligne, pour changer d'opérateur en gardant le numéro."),
    # -- billing and payment ------------------------------------------------------------------------------
    _spec("explain_invoice", "Expliquer la facture", "billing_payment", CUSTOMER_READ, False,
          Param("invoice", "invoice", "Facture"),
          reads=("invoice_history", "consumption", "offers_options"),
          description="La facture ligne par ligne : forfaits, options, hors forfait du mois précédent, gestes "
                      "déduits ; un écart non expliqué est signalé."),
    _spec("change_payment_method", "Changer le mode de paiement", "billing_payment manage_account",
          ACT_EDIT_PAYMENT, True,
          Param("kind", "choice", "Mode de paiement", choices=(("direct_debit", "Prélèvement"), ("card", "Carte"),
                                                                ("transfer", "Virement"), ("cheque", "Chèque"))),
          Param("iban", "iban", "IBAN", required=False),
          Param("holder", "text", "Titulaire du compte"),
          reads=("payment_method",),
          description="Nouveau moyen de paiement (prélèvement sur IBAN, carte, virement, chèque) ; l'ancien est "
                      "désactivé."),
    _spec("grant_payment_extension", "Accorder un délai de paiement", "billing_payment", ACT_PAYMENT_EXTENSION,
          True, Param("until", "date", "Payer au plus tard le"),
          reads=("payer_quality", "collection", "balance"),
          description="Un seul délai, de 30 jours au plus, sur un impayé ou un dossier de recouvrement ouvert."),
    _spec("send_invoice_duplicate", "Envoyer un duplicata de facture", "billing_payment", ACT_SEND_DOCUMENT,
          True, Param("invoice", "invoice", "Facture"),
          Param("channel", "choice", "Envoi", choices=(("email", "Par e-mail"), ("letter", "Par courrier"))),
          reads=("invoice_history",),
          description="Le duplicata d'une facture émise, par e-mail ou par courrier, noté dans l'historique."),
    # -- breakdown and usage help -------------------------------------------------------------------------
    _spec("diagnose_line", "Voir l'état de la ligne et du matériel", "breakdown usage_help", CUSTOMER_READ,
          False, LINE, reads=("lines", "equipment", "support_history"),
          description="État de la ligne et du matériel, tickets passés, scripts déjà tentés, tests en boutique, "
                      "et où le dernier contact s'est arrêté."),
    _spec("open_ticket", "Ouvrir ou compléter un ticket", "breakdown usage_help", ACT_SUPPORT, True,
          LINE, Param("summary", "long_text", "Constat"),
          Param("journey", "choice", "Type de demande", required=False,
                choices=(("breakdown", "Panne"), ("usage_help", "Aide à l'utilisation"))),
          reads=("lines", "support_history"),
          description="Ouvre un ticket pour la ligne, ou complète celui qui est déjà ouvert."),
    _spec("book_technician", "Prendre un rendez-vous technicien", "breakdown move", ACT_SUPPORT, True,
          LINE, Param("slot", "slot", "Créneau"),
          reads=("lines", "postal_address", "support_history"),
          description="Un créneau libre de technicien pour une ligne fixe, rattaché au ticket ouvert."),
    _spec("exchange_equipment", "Échanger le matériel sous garantie", "breakdown", ACT_SUPPORT, True,
          Param("equipment", "equipment", "Matériel"),
          reads=("equipment", "warranty", "support_history", "orders"),
          description="Échange sous garantie (ou couvert par la location), sauf matériel testé conforme en "
                      "boutique depuis moins de 30 jours sans panne signalée depuis."),
    _spec("run_script", "Dérouler un script guidé", "breakdown usage_help", ACT_SUPPORT, True,
          LINE, Param("script", "script", "Script"),
          Param("steps", "steps", "Étapes faites"),
          Param("solved", "boolean", "Problème résolu", required=False),
          reads=("lines", "support_history"),
          description="Un script d'aide en français ; chaque étape faite est enregistrée."),
    # -- complaint ----------------------------------------------------------------------------------------
    _spec("review_complaints", "Consulter réclamations et gestes", "complaint", CUSTOMER_READ, False,
          reads=("ongoing_events", "gestures"),
          description="Les réclamations passées et les gestes déjà accordés, avec les motifs récurrents."),
    _spec("open_complaint", "Ouvrir une réclamation", "complaint", ACT_COMPLAINT, True,
          Param("summary", "long_text", "Objet de la réclamation"),
          reads=("ongoing_events",),
          description="Ouvre la réclamation (réponse sous 30 jours), une seule fois pour le même objet."),
    _spec("grant_gesture", "Accorder un geste commercial", "complaint billing_payment", ACT_GESTURE, True,
          Param("amount", "amount", "Montant (€)"),
          Param("reason", "text", "Motif"),
          reads=("gestures", "ongoing_events"),
          description="Un geste dans les règles : plafond du profil et du client sur 12 mois, motif récurrent, "
                      "client opportuniste signalé."),
    _spec("escalate_complaint", "Escalader la réclamation", "complaint", ACT_COMPLAINT, True,
          Param("note", "long_text", "Pourquoi escalader"),
          reads=("ongoing_events",),
          description="Escalade la réclamation en cours au niveau 2 (rappel sous 2 jours)."),
    # -- out of scope -------------------------------------------------------------------------------------
    _spec("redirect_caller", "Réorienter l'appelant", "out_of_scope", CUSTOMER_READ, False,
          Param("service", "choice", "Service", choices=(
              ("shop", "Boutique"), ("web", "Espace client en ligne"), ("other_operator", "Autre opérateur"),
              ("emergency", "Numéros d'urgence"))),
          needs_customer=False,
          description="Les coordonnées du bon service à donner à l'appelant."),
)

ACTS: dict[str, ActSpec] = {a.code: a for a in ACT_LIST}

# The order the panel suggests each journey's acts in: what the call is most often about first. Every act
# listing the journey appears once (checked below).
JOURNEY_ACTS: dict[str, tuple[str, ...]] = {
    "become_customer": ("check_eligibility", "recommend_offers", "create_customer", "follow_order",
                        "change_order_delivery", "cancel_order"),
    "change_offer": ("recommend_offers", "change_offer", "add_option", "remove_option", "check_eligibility",
                     "follow_order", "change_order_delivery", "cancel_order"),
    "move": ("move_address", "check_eligibility", "book_technician", "update_contact_details", "follow_order"),
    "withdraw": ("check_withdrawal_period", "register_withdrawal", "cancel_order"),
    "terminate": ("check_commitment_end", "recommend_offers", "register_termination", "give_rio",
                  "declare_holder_death"),
    "manage_account": ("update_contact_details", "change_payment_method", "give_rio", "check_commitment_end",
                       "update_identity", "set_guardian"),
    "billing_payment": ("explain_invoice", "change_payment_method", "send_invoice_duplicate",
                        "grant_payment_extension", "grant_gesture"),
    "breakdown": ("diagnose_line", "run_script", "open_ticket", "book_technician", "exchange_equipment",
                  "follow_order"),
    "usage_help": ("run_script", "diagnose_line", "open_ticket"),
    "complaint": ("review_complaints", "open_complaint", "grant_gesture", "escalate_complaint"),
    "out_of_scope": ("redirect_caller",),
}
JOURNEYS: dict[str, Journey] = {code: Journey(code, JOURNEY_LABELS[code], JOURNEY_ACTS[code])
                                for code in JOURNEY_CODES}


def label_for(journey: str | None) -> str | None:
    return JOURNEY_LABELS.get(journey or "")


def acts_for(journey: str | None) -> list[ActSpec]:
    """The acts a journey calls for, in the order the panel suggests them (none for an unknown journey)."""
    found = JOURNEYS.get(journey or "")
    return [ACTS[code] for code in found.acts] if found else []


def _check() -> None:
    for act in ACT_LIST:
        unknown = [j for j in act.journeys if j not in JOURNEY_LABELS]
        if unknown:
            raise ValueError(f"act {act.code}: unknown journeys {unknown}")
    for code, journey in JOURNEYS.items():
        listing = sorted(a.code for a in ACT_LIST if code in a.journeys)
        if sorted(journey.acts) != listing:
            raise ValueError(f"JOURNEY_ACTS[{code!r}] must order exactly the acts that list it: {listing}")


_check()


# -- the advisor's chat with the copilot: each intent is a question about 360° fields or an act -------------
@dataclass(frozen=True)
class ChatIntent:
    intent: str
    example: str  # French: how an advisor says it
    fields: tuple[str, ...] = ()  # a question: the 360° fields that answer it
    act: str | None = None  # an order (or a question answered by a read act)
    params: tuple[tuple[str, str], ...] = ()  # fixed parameters the intent implies (name, value)
    requires: tuple[str, ...] = ()  # parameters optional for the act but the point of this order


CHAT_INTENTS: tuple[ChatIntent, ...] = (
    ChatIntent("copilot_commitment_end", "quand finit son engagement ?", act="check_commitment_end"),
    ChatIntent("copilot_balance", "il doit combien ?", fields=("balance",)),
    ChatIntent("copilot_equipment", "elle a quoi comme box ?", fields=("equipment",)),
    ChatIntent("copilot_order_status", "sa commande en est où ?", fields=("orders",)),
    ChatIntent("copilot_offers", "il a quel forfait ?", fields=("offers_options",)),
    ChatIntent("copilot_next_invoice", "combien sa prochaine facture ?", fields=("next_invoice",)),
    ChatIntent("copilot_consumption", "il a consommé combien ce mois-ci ?", fields=("consumption",)),
    ChatIntent("copilot_payment_method", "elle paie comment ?", fields=("payment_method", "payment_channel")),
    ChatIntent("copilot_contact_details", "c'est quoi son mail ?", fields=("email", "phones", "postal_address")),
    ChatIntent("copilot_set_payment", "passe-le en prélèvement sur FR76 …", act="change_payment_method",
               params=(("kind", "direct_debit"),)),
    ChatIntent("copilot_set_email", "change son mail en …", act="update_contact_details", requires=("email",)),
    ChatIntent("copilot_set_phone", "son nouveau numéro c'est le 06 …", act="update_contact_details",
               requires=("contact_phone",)),
    ChatIntent("copilot_give_rio", "donne-moi son RIO", act="give_rio"),
    ChatIntent("copilot_send_duplicate", "envoie-lui un duplicata de sa facture", act="send_invoice_duplicate"),
    # every journey's main act, ordered in a sentence
    ChatIntent("copilot_move", "il déménage au 4 rue Pasteur 69007 Lyon le 15 janvier", act="move_address"),
    ChatIntent("copilot_terminate", "résilie sa box au 31 décembre", act="register_termination"),
    ChatIntent("copilot_withdraw", "enregistre sa rétractation pour la commande", act="register_withdrawal"),
    ChatIntent("copilot_create_customer", "crée-lui une fiche client", act="create_customer"),
    ChatIntent("copilot_change_offer", "passe sa box sur la fibre 1 Gb", act="change_offer"),
    ChatIntent("copilot_open_ticket", "ouvre un ticket : plus d'internet depuis hier soir", act="open_ticket"),
    ChatIntent("copilot_open_complaint", "ouvre une réclamation sur sa facture", act="open_complaint"),
    ChatIntent("copilot_gesture", "fais-lui un geste de 10 euros", act="grant_gesture"),
)
CHAT: dict[str, ChatIntent] = {c.intent: c for c in CHAT_INTENTS}
# Answers to the copilot's « Je confirme ? »: nothing is written before « oui ».
CONFIRM_INTENTS = ("affirm", "deny")
