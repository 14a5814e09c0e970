"""The KPIs, defined once: JSON field, French label, unit, formula over the summed call facts, and which way is
better (for the ranks of the comparison). docs/steering.md lists them (a test keeps the two in step).

Every KPI is computed from sums (``crm_core.models.steering.SUMS``), so any level and period is a sum of the
hourly rows first and a ratio after: an average over a month is the month's total over the month's count.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Sums = Mapping[str, float]


def _ratio(num: str, den: str, scale: float = 1.0, digits: int = 3) -> Callable[[Sums], float | None]:
    def compute(s: Sums) -> float | None:
        return round(scale * s[num] / s[den], digits) if s.get(den) else None
    return compute


def _value(name: str, scale: float = 1.0, digits: int = 2) -> Callable[[Sums], float]:
    def compute(s: Sums) -> float:
        value = scale * s.get(name, 0)
        return round(value, digits) if scale != 1.0 else int(value) if float(value).is_integer() else value
    return compute


@dataclass(frozen=True)
class Kpi:
    name: str  # the JSON field of a row
    label: str  # French
    unit: Literal["count", "seconds", "ratio", "per_call", "euros"]
    formula: str  # French, for docs/steering.md and the page's tooltips
    compute: Callable[[Sums], float | None]
    better: Literal["higher", "lower"] | None = None
    drill: str | None = None  # the call facts behind the figure (``queries.DRILLS``)


KPIS: tuple[Kpi, ...] = (
    Kpi("calls", "Appels reçus", "count", "appels présentés à un conseiller (décrochés ou non)",
        _value("calls"), None, "calls"),
    Kpi("answered", "Appels décrochés", "count", "appels décrochés par le conseiller", _value("answered"), "higher",
        "answered"),
    Kpi("abandoned", "Appels perdus", "count", "appels terminés sans avoir été décrochés", _value("abandoned"),
        "lower", "abandoned"),
    Kpi("dmt_s", "DMT (durée moyenne de traitement)", "seconds",
        "(conversation + attente + après-appel) ÷ appels décrochés et terminés",
        _ratio("handling_s", "handled", digits=1), "lower", "handled"),
    Kpi("talk_s", "Durée moyenne de conversation", "seconds", "conversation (attentes exclues) ÷ appels terminés",
        _ratio("talk_s", "handled", digits=1), None, "handled"),
    Kpi("hold_s", "Durée moyenne d'attente", "seconds", "mises en attente ÷ appels terminés",
        _ratio("hold_s", "handled", digits=1), "lower", "handled"),
    Kpi("wrapup_s", "Durée moyenne d'après-appel", "seconds",
        "de la fin de l'appel au suivant présenté au conseiller (au-delà de 30 min : pause, non compté) ÷ "
        "appels dont l'après-appel est connu", _ratio("wrapup_s", "wrapups", digits=1), "lower", "handled"),
    Kpi("transfers", "Transferts N2", "count", "appels transférés au niveau 2", _value("transfers"), None,
        "transfers"),
    Kpi("transfer_rate", "Taux de transfert", "ratio", "appels transférés ÷ appels décrochés",
        _ratio("transfers", "answered"), "lower", "transfers"),
    Kpi("transfer_rate_warm", "Taux de transfert à chaud", "ratio", "transferts à chaud ÷ appels décrochés",
        _ratio("transfers_warm", "answered"), None, "transfers_warm"),
    Kpi("transfer_rate_cold", "Taux de transfert à froid", "ratio", "transferts à froid ÷ appels décrochés",
        _ratio("transfers_cold", "answered"), None, "transfers_cold"),
    Kpi("ack_s", "Délai moyen d'accusé de réception N2", "seconds",
        "de la demande de transfert à chaud à l'accusé de réception ÷ transferts acquittés",
        _ratio("ack_s", "acks", digits=1), "lower", "acks"),
    Kpi("resolve_s", "Délai moyen de résolution N2", "seconds",
        "de la demande de transfert à sa clôture ÷ transferts clos", _ratio("resolve_s", "resolved", digits=1),
        "lower", "resolved"),
    Kpi("acts_done", "Actes réalisés", "count", "actes de gestion réalisés sur les appels", _value("acts_done"),
        "higher", "acts_done"),
    Kpi("acts_per_call", "Actes par appel", "per_call", "actes réalisés ÷ appels décrochés",
        _ratio("acts_done", "answered", digits=2), None, "acts_done"),
    Kpi("act_s", "Durée moyenne d'un acte", "seconds", "de l'ouverture du formulaire à l'acte réalisé ÷ actes "
        "chronométrés", _ratio("act_s", "timed_acts", digits=1), "lower", "acts_done"),
    Kpi("acts_dropped", "Actes abandonnés", "count", "actes ouverts puis abandonnés par le conseiller",
        _value("acts_cancelled"), "lower", "acts_cancelled"),
    Kpi("suggestion_acceptance", "Acceptation des suggestions", "ratio",
        "appels où au moins un acte suggéré par le copilote a été réalisé ÷ appels avec suggestions",
        _ratio("suggestion_taken", "with_suggestions"), "higher", "suggestion_taken"),
    Kpi("suggested_acts_done_rate", "Part des actes suggérés", "ratio",
        "actes réalisés qui figuraient dans les suggestions ÷ actes réalisés",
        _ratio("suggested_done", "acts_done"), "higher", "acts_done"),
    Kpi("nlu_correction_rate", "Taux de correction du parcours", "ratio",
        "appels où le conseiller a corrigé le parcours détecté ÷ appels analysés par le NLU",
        _ratio("corrected", "predicted"), "lower", "corrected"),
    Kpi("repeat_contact_rate", "Taux de rappel sous 7 jours", "ratio",
        "appels suivis d'un autre appel du même client pour le même parcours dans les 7 jours ÷ appels d'un "
        "client identifié (indicateur inverse de la résolution au premier contact)",
        _ratio("recontacted", "identified"), "lower", "recontacted"),
    Kpi("offers_proposed", "Offres proposées", "count", "offres présentées par « Proposer des offres adaptées »",
        _value("offers_proposed"), "higher", "offers_proposed"),
    Kpi("offers_accepted", "Offres souscrites", "count",
        "changements d'offre, créations de client et options ajoutées", _value("offers_accepted"), "higher",
        "offers_accepted"),
    Kpi("offer_acceptance_rate", "Taux de transformation", "ratio",
        "appels où une offre a été souscrite après « Proposer des offres adaptées » ÷ appels où des offres ont "
        "été proposées", _ratio("conversions", "proposals"), "higher", "conversions"),
    Kpi("cross_sell", "Ventes additionnelles", "count", "options ajoutées à ce que le client détient",
        _value("cross_sell"), "higher", "cross_sell"),
    Kpi("gestures", "Gestes commerciaux", "count", "gestes commerciaux accordés", _value("gestures"), None,
        "gestures"),
    Kpi("gesture_amount", "Montant des gestes (€)", "euros", "somme des gestes accordés",
        _value("gesture_cents", 0.01), "lower", "gestures"),
)
BY_NAME: dict[str, Kpi] = {k.name: k for k in KPIS}


def compute(sums: Sums) -> dict[str, float | None]:
    """Every KPI of a row from its sums (a ratio over nothing is ``None``, never a division error)."""
    return {k.name: k.compute(sums) for k in KPIS}
