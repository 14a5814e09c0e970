"""Named demo personas, documented in the README, always present after ``copilot seed``."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from crm_core.models import Customer, Line


@dataclass(frozen=True)
class Persona:
    id: int
    civility: str
    first_name: str
    last_name: str
    birth_date: date
    email: str
    address_line: str
    postcode: str
    city: str
    lines: tuple[tuple[str, str, str, date, date | None], ...]  # number, kind, offer, activation, commitment end
    situation: str


PERSONAS: tuple[Persona, ...] = (
    Persona(1, "Mme", "Camille", "Martin", date(1986, 4, 12), "camille.martin@exemple.fr",
            "12 rue des Lilas", "69003", "Lyon",
            (("+33712345678", "mobile", "MOBILE_5G_200G", date(2024, 3, 15), date(2026, 3, 15)),
             ("+33972123456", "fixed", "BOX_FIBRE_2G_TV", date(2025, 9, 1), date(2027, 9, 1))),
            "convergente fibre + mobile 5G, engagement box jusqu'au 01/09/2027"),
    Persona(2, "M.", "Jean-Pierre", "Lefèvre", date(1947, 11, 2), "jp.lefevre@exemple.fr",
            "3 place de l'Église", "29200", "Brest",
            (("+33798765432", "mobile", "MOBILE_2H", date(2019, 6, 10), None),
             ("+33998445566", "fixed", "BOX_ADSL", date(2012, 1, 20), None)),
            "client ancien en ADSL, hors engagement"),
    Persona(3, "Mme", "Sophie", "Nguyen", date(1995, 7, 30), "sophie.nguyen@exemple.fr",
            "48 avenue Jean Jaurès", "75019", "Paris",
            (("+33755443322", "mobile", "MOBILE_100G", date(2026, 10, 2), date(2027, 10, 2)),),
            "nouvelle cliente mobile (moins de 14 jours de rétractation selon la date du jour)"),
)

UNKNOWN_DEMO_NUMBER = "07 00 00 00 00"


def upsert_personas(session: Session) -> None:
    for p in PERSONAS:
        if session.get(Customer, p.id) is not None:
            continue
        customer = Customer(
            id=p.id, civility=p.civility, first_name=p.first_name, last_name=p.last_name,
            birth_date=p.birth_date, email=p.email, address_line=p.address_line,
            postcode=p.postcode, city=p.city,
        )
        session.add(customer)
        session.flush()
        for number, kind, offer, activation, commitment_end in p.lines:
            session.add(Line(customer_id=p.id, number=number, kind=kind, offer_code=offer,
                             activation_date=activation, commitment_end=commitment_end))
