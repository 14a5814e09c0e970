"""A fictitious telco catalogue."""

from decimal import Decimal

from sqlalchemy.orm import Session

from crm_core.models import Offer

OFFERS: list[tuple[str, str, str, str]] = [
    ("BOX_ADSL", "Box ADSL 15 Mb/s", "fixed", "24.99"),
    ("BOX_FIBRE_1G", "Box Fibre 1 Gb/s", "fixed", "32.99"),
    ("BOX_FIBRE_2G_TV", "Box Fibre 2 Gb/s + TV", "fixed", "42.99"),
    ("MOBILE_2H", "Forfait 2h 1 Go", "mobile", "4.99"),
    ("MOBILE_100G", "Forfait 100 Go 4G", "mobile", "12.99"),
    ("MOBILE_5G_200G", "Forfait 5G 200 Go", "mobile", "21.99"),
    ("CONV_FAMILLE", "Offre Famille Box Fibre + Mobile 5G", "convergent", "54.99"),
]


def upsert_catalogue(session: Session) -> None:
    for code, label, universe, price in OFFERS:
        session.merge(Offer(code=code, label=label, universe=universe, monthly_price=Decimal(price)))
