"""The 360° field catalogue and who may see each field.

The six blocks in the seed's order, the priorities, and every field of the 360° view with its label, block,
priority and the permission it needs beyond its block's own. A field is visible when the actor has
``block:<block>`` and the field's extra permission if any: ``can_see`` is the one rule every output of the
CRM is filtered with (see ``permission_filter``). How each field is computed lives in ``view360``.
"""

from collections.abc import Collection
from dataclasses import dataclass

BLOCKS: tuple[tuple[str, str], ...] = (
    ("identification", "Identification"),
    ("commercial", "Vision commerciale"),
    ("offers", "Offres détenues"),
    ("billing", "Facturation"),
    ("alerts", "Spots et alertes"),
    ("equipment", "Équipements"),
)
PRIORITIES = ("indispensable", "important", "secondary")
IND, IMP, SEC = PRIORITIES


@dataclass(frozen=True)
class Field:
    block: str
    name: str
    label: str
    priority: str
    permission: str | None = None  # beyond the block's own

    def visible_to(self, permissions: Collection[str]) -> bool:
        return f"block:{self.block}" in permissions and (self.permission is None or self.permission in permissions)


FIELDS: tuple[Field, ...] = (
    Field("identification", "identity", "Identité", IND),
    Field("identification", "birth_date", "Date de naissance et âge", IND),
    Field("identification", "postal_address", "Adresse postale", IND),
    Field("identification", "phones", "Téléphones", IND),
    Field("identification", "email", "E-mail", IND),
    Field("identification", "guardianship", "Mesure de protection (tutelle)", IND, "field:guardianship"),
    Field("identification", "electronic_tag", "Ligne bracelet électronique", IMP, "field:electronic_tag"),
    Field("commercial", "eligibility", "Éligibilité commerciale et technique (filtre catalogue)", IND),
    Field("commercial", "procedures", "Modes opératoires", IND),
    Field("commercial", "seniority", "Ancienneté", IMP),
    Field("commercial", "loyalty", "Fidélité", IMP),
    Field("commercial", "revenue", "Chiffre d'affaires généré", IMP),
    Field("commercial", "gestures", "Gestes commerciaux accordés", IMP),
    Field("commercial", "interests", "Centres d'intérêt", SEC),
    Field("commercial", "life_moments", "Moments de vie", SEC),
    Field("offers", "lines", "Lignes, statut", IND),
    Field("offers", "offers_options", "Offre et options", IND),
    Field("offers", "activation_commitment", "Activation et engagement", IND),
    Field("billing", "consumption", "Consommation du mois et hors forfait", IND),
    Field("billing", "next_invoice", "Prochaine facture", IND),
    Field("billing", "invoice_history", "Historique des factures", IND),
    Field("billing", "balance", "Solde du compte", IND),
    Field("billing", "payment_method", "Moyen de paiement", IND, "field:payment_method"),
    Field("billing", "payment_channel", "Canal de paiement", IND),
    Field("billing", "payer_quality", "Qualité payeur", IMP),
    Field("billing", "collection", "Recouvrement et outils", IMP, "field:collection"),
    Field("alerts", "orders", "Commandes en cours, étapes et délais", IND),
    Field("alerts", "ongoing_events", "Événements en cours", IND),
    Field("alerts", "collection_events", "Événements de recouvrement", IND, "field:collection"),
    Field("alerts", "history", "Historique des échanges et courriers", IMP),
    Field("equipment", "equipment", "Matériel acheté, loué ou prêté", IND),
    Field("equipment", "warranty", "Garantie (couverture, durée, dépôt)", IND),
    Field("equipment", "support_history", "Historique SAV et tests en boutique", IMP),
)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
# Fields behind a permission of their own (reads of them are flagged in the read trace).
SENSITIVE = frozenset(f.name for f in FIELDS if f.permission is not None)


def visible_fields(permissions: Collection[str]) -> list[Field]:
    """The fields the actor may see, in catalogue order."""
    return [f for f in FIELDS if f.visible_to(permissions)]


def can_see(permissions: Collection[str], field_name: str) -> bool:
    """Whether the actor may see this 360° field; an unknown field name is never visible."""
    spec = BY_NAME.get(field_name)
    return spec is not None and spec.visible_to(permissions)
