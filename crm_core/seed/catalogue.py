"""A fictitious telco catalogue: plans, options, eligibility rules, operating procedures."""

from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.orm import Session

from crm_core.models import EligibilityRule, Offer
from crm_core.services.eligibility import forget_catalogue

# code, label, universe, kind, technology, price, commitment months, option for, procedure
OFFERS: list[tuple[str, str, str, str, str | None, str, int, str | None, str]] = [
    ("BOX_ADSL", "Box ADSL 15 Mb/s", "fixed", "plan", "adsl", "24.99", 12, None,
     "Proposer la fibre si l'adresse est éligible avant tout changement."),
    ("BOX_FIBRE_1G", "Box Fibre 1 Gb/s", "fixed", "plan", "fibre", "32.99", 12, None,
     "Transfert de box : prévoir un rendez-vous technicien si prise optique absente."),
    ("BOX_FIBRE_2G_TV", "Box Fibre 2 Gb/s + TV", "fixed", "plan", "fibre", "42.99", 12, None,
     "Décodeur TV loué : le récupérer en cas de résiliation (frais de non-restitution)."),
    ("MOBILE_2H", "Forfait 2h 1 Go", "mobile", "plan", "4g", "4.99", 0, None, ""),
    ("MOBILE_100G", "Forfait 100 Go 4G", "mobile", "plan", "4g", "12.99", 0, None, ""),
    ("MOBILE_5G_200G", "Forfait 5G 200 Go", "mobile", "plan", "5g", "21.99", 12, None,
     "Vérifier la couverture 5G au domicile avant de vendre."),
    ("CONV_FAMILLE", "Offre Famille Box Fibre + Mobile 5G", "convergent", "plan", "fibre", "54.99", 12, None,
     "Remise convergence appliquée tant que box et mobile restent actifs."),
    ("OPT_INTERNATIONAL", "Option Appels internationaux", "mobile", "option", None, "5.00", 0, "mobile", ""),
    ("OPT_DATA_EU", "Option Data Europe 20 Go", "mobile", "option", None, "3.00", 0, "mobile", ""),
    ("OPT_TV_SPORT", "Option TV Sport", "fixed", "option", None, "9.99", 0, "fixed", ""),
    ("OPT_CLOUD", "Option Cloud 100 Go", "fixed", "option", None, "1.99", 0, "fixed", ""),
    ("OPT_SECURITE", "Option Sécurité familiale", "fixed", "option", None, "2.99", 0, "fixed", ""),
]

# offer, kind, rule, params, French label shown when it fails
RULES: list[tuple[str, str, str, dict, str]] = [
    ("BOX_FIBRE_1G", "technical", "fibre_available", {}, "fibre non déployée à l'adresse"),
    ("BOX_FIBRE_2G_TV", "technical", "fibre_available", {}, "fibre non déployée à l'adresse"),
    ("BOX_FIBRE_2G_TV", "commercial", "no_unpaid", {}, "impayé en cours"),
    ("BOX_ADSL", "technical", "adsl_min_mbps", {"mbps": 2}, "débit ADSL insuffisant à l'adresse"),
    ("MOBILE_5G_200G", "technical", "mobile_5g", {}, "pas de couverture 5G au domicile"),
    ("MOBILE_5G_200G", "commercial", "min_age", {"years": 18}, "réservé aux majeurs"),
    ("CONV_FAMILLE", "technical", "fibre_available", {}, "fibre non déployée à l'adresse"),
    ("CONV_FAMILLE", "commercial", "no_unpaid", {}, "impayé en cours"),
    ("CONV_FAMILLE", "commercial", "segment", {"in": ["residential"]}, "réservée aux particuliers"),
]


def upsert_catalogue(session: Session) -> None:
    for code, label, universe, kind, tech, price, months, for_universe, procedure in OFFERS:
        session.merge(Offer(code=code, label=label, universe=universe, kind=kind, technology=tech,
                            monthly_price=Decimal(price), commitment_months=months, for_universe=for_universe,
                            procedure=procedure))
    session.flush()
    session.execute(delete(EligibilityRule))
    for offer, kind, rule, params, label in RULES:
        session.add(EligibilityRule(offer_code=offer, kind=kind, rule=rule, params=params, label=label))
    forget_catalogue()
