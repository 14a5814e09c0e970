"""The customer journeys (the NLU's labels) and the management acts each one calls for."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Act:
    code: str
    label: str


@dataclass(frozen=True)
class Journey:
    code: str
    label: str
    acts: tuple[Act, ...]


JOURNEYS: dict[str, Journey] = {
    j.code: j
    for j in (
        Journey("become_customer", "Je deviens client", (
            Act("check_eligibility", "Tester l'éligibilité à l'adresse"),
            Act("create_customer", "Créer le client"),
        )),
        Journey("change_offer", "Je change d'offre et/ou de matériel", (
            Act("check_eligibility", "Tester l'éligibilité à l'adresse"),
            Act("change_offer", "Changer d'offre ou d'option"),
        )),
        Journey("move", "Je déménage", (
            Act("check_eligibility", "Tester l'éligibilité à la nouvelle adresse"),
            Act("update_postal_address", "Mettre à jour l'adresse postale"),
            Act("schedule_box_transfer", "Programmer le transfert de la box"),
        )),
        Journey("withdraw", "Je me rétracte", (
            Act("check_withdrawal_period", "Vérifier le délai de rétractation (14 jours)"),
            Act("register_withdrawal", "Enregistrer la rétractation"),
        )),
        Journey("terminate", "Je résilie", (
            Act("check_commitment_end", "Vérifier la fin d'engagement et les frais"),
            Act("propose_retention_offer", "Proposer une offre de fidélisation"),
            Act("register_termination", "Enregistrer la résiliation"),
        )),
        Journey("manage_account", "Je consulte ou modifie mon compte", (
            Act("update_contact_details", "Modifier les coordonnées"),
        )),
        Journey("billing_payment", "Je suis facturé, je paye", (
            Act("explain_invoice", "Expliquer la facture"),
            Act("change_payment_method", "Changer le mode de paiement"),
            Act("grant_payment_extension", "Accorder un délai de paiement"),
        )),
        Journey("breakdown", "Je suis en panne", (
            Act("run_line_test", "Lancer un test de ligne"),
            Act("guided_diagnosis", "Dérouler le diagnostic guidé"),
            Act("transfer_n2_technical", "Transférer au niveau 2 technique"),
        )),
        Journey("usage_help", "Je n'arrive pas à utiliser", (
            Act("usage_script", "Dérouler le script d'aide à l'usage"),
        )),
        Journey("complaint", "Je ne suis pas content (réclamation)", (
            Act("open_complaint", "Ouvrir une réclamation"),
            Act("review_gestures", "Consulter les gestes commerciaux accordés"),
        )),
        Journey("out_of_scope", "Hors périmètre", (
            Act("redirect_caller", "Réorienter l'appelant"),
        )),
    )
}


def acts_for(journey: str | None) -> list[dict[str, str]]:
    if journey is None or journey not in JOURNEYS:
        return []
    return [{"code": a.code, "label": a.label} for a in JOURNEYS[journey].acts]


def label_for(journey: str | None) -> str | None:
    return JOURNEYS[journey].label if journey in JOURNEYS else None
