"""Deterministic, realistic French synthetic customers, their lines and their whole 360° file.

Customer ``i`` is drawn from its own seed, so it is the same whatever was generated before it; ids are
derived from ``i`` (customers from ``FIRST_SYNTHETIC_ID``), so seeding again only adds what is missing.
Names, streets and towns come from pools drawn once with Faker ``fr_FR``: a million customers take
minutes, not hours. Rows go in with Core ``executemany`` in batches.
"""

import random
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session
from stdnum import iban as stdnum_iban

from crm_core.models import (
    Account,
    Base,
    CollectionCase,
    CommercialGesture,
    Consumption,
    Contract,
    Coverage,
    Customer,
    CustomerEvent,
    Equipment,
    Guardianship,
    Interaction,
    Invoice,
    Line,
    LineOption,
    Order,
    OrderStep,
    PaymentMethod,
)
from crm_core.text import fold

FIRST_SYNTHETIC_ID = 1001
TODAY = date(2026, 11, 23)  # fixed: the data set does not depend on the day it is generated
_MOBILE_OFFERS = ("MOBILE_2H", "MOBILE_100G", "MOBILE_100G", "MOBILE_5G_200G")
_BOX_OFFERS = ("BOX_ADSL", "BOX_FIBRE_1G", "BOX_FIBRE_1G", "BOX_FIBRE_2G_TV", "CONV_FAMILLE")
_MOBILE_OPTIONS = ("OPT_INTERNATIONAL", "OPT_DATA_EU")
_FIXED_OPTIONS = ("OPT_TV_SPORT", "OPT_CLOUD", "OPT_SECURITE")
_INTERESTS = ("séries TV", "football", "jeux vidéo", "voyages", "cuisine", "musique", "cinéma", "randonnée",
              "high-tech", "jardinage", "rugby", "lecture")
_MOMENTS = ("déménagement prévu", "naissance d'un enfant", "départ à la retraite", "entrée dans les études",
            "mariage", "nouvel emploi")
_PHONES = ("Galaxy S24", "iPhone 15", "Pixel 8", "Redmi Note 13", "Galaxy A55", "iPhone 13")
_SUPPORT = ("Coupures internet le soir : redémarrage de la box", "Écran noir sur le décodeur : réinitialisation",
            "Débit faible : test de ligne lancé", "Wifi instable : changement de canal conseillé")
# (summary, topic): the topic says which part of the 360° view a contact reveals (permission_filter)
_CONTACTS = (("Question sur la facture", "billing"), ("Changement d'offre mobile", "general"),
             ("Demande de code PUK", "general"), ("Suivi de commande", "general"))
_EVENTS = (("complaint", "Conteste un hors forfait"), ("move", "Déménagement annoncé"),
           ("scheduled_termination", "Résiliation demandée à la fin de l'engagement"),
           ("withdrawal", "Rétractation sur l'option TV"))
POOL = 2000


def _ascii(text_: str) -> str:
    return unicodedata.normalize("NFKD", text_).encode("ascii", "ignore").decode()


def _mobile_number(i: int) -> str:
    # A bijection of [0, 10^8) (48271 is prime to 10^8): unique, random-looking 06 numbers.
    return f"+336{(i * 48271 + 12345) % 10**8:08d}"


def _fixed_number(i: int) -> str:
    area = 1 + i % 5  # 01..05
    return f"+33{area}{(i * 69621 + 777) % 10**8:08d}"


class _Pools:
    """Names, streets and towns drawn once (deterministically) with Faker."""

    def __init__(self, seed: int) -> None:
        fake = Faker("fr_FR")
        fake.seed_instance(seed)
        self.male = [fake.first_name_male() for _ in range(300)]
        self.female = [fake.first_name_female() for _ in range(300)]
        self.last = [fake.last_name() for _ in range(POOL)]
        self.streets = [fake.street_address() for _ in range(POOL)]
        self.towns = [(fake.postcode(), fake.city()) for _ in range(POOL)]
        self.domains = ["exemple.fr", "courriel.fr", "messagerie.fr", "mail.fr", "boite.fr"]
        rng = random.Random(seed)
        self.coverage = {pc: (rng.random() < 0.7, rng.choice((2, 4, 8, 15, 20)), rng.random() < 0.5)
                         for pc, _ in self.towns}


def _iban(rng: random.Random) -> str:
    bban = f"{rng.randrange(10**5):05d}{rng.randrange(10**5):05d}{rng.randrange(10**11):011d}{rng.randrange(100):02d}"
    return "FR" + stdnum_iban.calc_check_digits("FR00" + bban) + bban


def _customer_rows(i: int, seed: int, pools: _Pools, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    rng.seed(seed * 100_000_007 + i)
    cid = FIRST_SYNTHETIC_ID + i - 1
    rows: dict[str, list[dict[str, Any]]] = {}
    civility = rng.choice(("M.", "Mme"))
    first = rng.choice(pools.male if civility == "M." else pools.female)
    last = rng.choice(pools.last)
    postcode, city = rng.choice(pools.towns)
    since = TODAY - timedelta(days=rng.randint(30, 20 * 365))
    mobile_contact = _mobile_number(i * 4)
    rows["customers"] = [{
        "id": cid, "civility": civility, "first_name": first, "last_name": last, "last_name_key": fold(last),
        "birth_date": TODAY - timedelta(days=rng.randint(18 * 365, 90 * 365)),
        "email": f"{_ascii(first).lower()}.{_ascii(last).lower()}{i}@{rng.choice(pools.domains)}".replace(" ", "")
        .replace("'", ""),
        "contact_phone": mobile_contact, "address_line": rng.choice(pools.streets), "postcode": postcode,
        "city": city, "customer_since": since, "segment": "professional" if rng.random() < 0.08 else "residential",
        "loyalty_tier": rng.choice(("standard", "standard", "silver", "gold")),
        "revenue_12m": Decimal(rng.randint(5000, 200000)) / 100,
        "interests": rng.sample(_INTERESTS, rng.randint(0, 3)), "life_moments": rng.sample(_MOMENTS, rng.randint(0, 1)),
        "version": 1,
    }]
    payer = rng.choices(("good", "watch", "bad"), (90, 7, 3))[0]
    balance = Decimal("0") if payer == "good" else -Decimal(rng.randint(2000, 30000)) / 100
    rows["accounts"] = [{"id": cid, "customer_id": cid, "number": f"CPT{cid:07d}", "balance": balance,
                         "payment_channel": "direct_debit", "invoice_delivery": rng.choice(("email", "email", "paper")),
                         "payer_quality": payer}]
    rows["payment_methods"] = [{"id": cid, "account_id": cid, "kind": "direct_debit", "iban": _iban(rng),
                                "bic": None, "holder": f"{first} {last}", "mandate_reference": f"RUM-{cid:07d}",
                                "active": True}]
    rows["contracts"] = [{"id": cid, "customer_id": cid, "account_id": cid, "number": f"CTR{cid:07d}",
                          "signed_on": since, "channel": rng.choice(("shop", "web", "phone")), "status": "active"}]
    n_lines = rng.choice((1, 1, 2, 2, 3))
    kinds = (["fixed"] + ["mobile"] * (n_lines - 1)) if rng.random() < 0.6 else ["mobile"] * n_lines
    rows["lines"], rows["line_options"], rows["consumptions"], rows["equipment"] = [], [], [], []
    for k, kind in enumerate(kinds):
        line_id = cid * 4 + k
        activation = since + timedelta(days=rng.randint(0, max(0, (TODAY - since).days - 1)))
        months = rng.choice((0, 12, 24))
        rows["lines"].append({
            "id": line_id, "customer_id": cid, "contract_id": cid,
            "number": mobile_contact if k == 0 and kind == "mobile" else (
                _fixed_number(i * 4 + k) if kind == "fixed" else _mobile_number(i * 4 + k)),
            "kind": kind, "status": "active" if rng.random() < 0.96 else "suspended",
            "offer_code": rng.choice(_BOX_OFFERS if kind == "fixed" else _MOBILE_OFFERS),
            "activation_date": activation,
            "commitment_end": activation + timedelta(days=30 * months) if months else None,
            "electronic_tag": kind == "mobile" and rng.random() < 0.002,
        })
        for option in rng.sample(_FIXED_OPTIONS if kind == "fixed" else _MOBILE_OPTIONS, rng.choice((0, 0, 1))):
            rows["line_options"].append({"id": line_id * 4, "line_id": line_id, "option_code": option,
                                         "activated_on": activation})
        if kind == "mobile":
            for back, month in enumerate((date(2026, 11, 1), date(2026, 10, 1))):
                over = rng.random() < 0.1
                rows["consumptions"].append({
                    "id": line_id * 2 + back, "line_id": line_id, "month": month,
                    "data_mb": rng.randint(200, 120_000), "voice_minutes": rng.randint(0, 900),
                    "sms": rng.randint(0, 400),
                    "overage_volume": f"{rng.randint(1, 9)} Go hors forfait" if over else "",
                    "overage_amount": Decimal(rng.randint(100, 4000)) / 100 if over else Decimal("0")})
        eq_kind, model = ("box", "Box Fibre 2G" if rng.random() < 0.6 else "Box ADSL v3") if kind == "fixed" \
            else ("phone", rng.choice(_PHONES))
        if kind == "fixed" or rng.random() < 0.3:
            acquired = activation
            rows["equipment"].append({
                "id": line_id, "customer_id": cid, "line_id": line_id, "kind": eq_kind, "model": model,
                "serial_number": f"SN{line_id:010d}", "ownership": "rented" if kind == "fixed" else "bought",
                "acquired_on": acquired, "technical": {"firmware": f"4.{rng.randint(0, 9)}.{rng.randint(0, 9)}"}
                if kind == "fixed" else {"IMEI": f"35{rng.randrange(10**13):013d}"},
                "warranty_cover": "panne" if kind == "fixed" else "garantie constructeur",
                "warranty_months": 24, "deposit_amount": Decimal("49.00") if kind == "fixed" and rng.random() < 0.3
                else Decimal("0")})
    monthly = Decimal(rng.randint(500, 9000)) / 100
    rows["invoices"] = [{"id": cid * 8 + m, "account_id": cid, "number": f"FAC{cid:07d}{m}",
                         "issued_on": date(2026, 12 - m, 5) if m < 4 else date(2026, 8, 5),
                         "due_on": date(2026, 12 - m, 5) if m < 4 else date(2026, 8, 5),
                         "amount": monthly + (Decimal(rng.randint(0, 2000)) / 100 if rng.random() < 0.2 else 0),
                         "status": "upcoming" if m == 0 else ("unpaid" if payer == "bad" and m == 1 else "paid")}
                        for m in range(4)]
    rows["collection_cases"] = [{"id": cid, "account_id": cid,
                                 "opened_on": TODAY - timedelta(days=rng.randint(5, 60)),
                                 "amount_due": -balance, "stage": "reminder",
                                 "status": "open", "payment_extension_until": None}] if payer == "bad" else []
    equipment_ids = [e["id"] for e in rows["equipment"]]
    rows["interactions"] = []
    for n in range(rng.choice((0, 1, 1, 2, 3))):
        support = equipment_ids and rng.random() < 0.4
        occurred_at = datetime(2026, 11, 1, tzinfo=UTC) - timedelta(hours=rng.randint(1, 24 * 300))
        channel = rng.choice(("phone", "phone", "shop", "web", "email"))
        summary, topic = (rng.choice(_SUPPORT), "support") if support else rng.choice(_CONTACTS)
        rows["interactions"].append({
            "id": cid * 4 + n, "customer_id": cid, "occurred_at": occurred_at, "channel": channel,
            "kind": "support" if support else "contact", "summary": summary, "topic": topic, "advisor_login": None,
            "equipment_id": rng.choice(equipment_ids) if support else None})
    rows["customer_events"] = []
    if rng.random() < 0.1:
        kind, summary = rng.choice(_EVENTS)
        rows["customer_events"].append({"id": cid, "customer_id": cid, "kind": kind, "status": "open",
                                        "opened_on": TODAY - timedelta(days=rng.randint(1, 30)),
                                        "due_on": TODAY + timedelta(days=rng.randint(1, 30)), "summary": summary})
    rows["orders"], rows["order_steps"] = [], []
    if rng.random() < 0.05:
        placed = TODAY - timedelta(days=rng.randint(0, 10))
        rows["orders"].append({"id": cid, "customer_id": cid, "number": f"WEB{cid:08d}", "channel": "web",
                               "kind": rng.choice(("Commande smartphone", "Commande Box Fibre", "Réparation box")),
                               "placed_on": placed, "status": "in_progress"})
        done = rng.randint(1, 2)
        for pos, label in enumerate(("Commande validée", "Préparation", "Expédition", "Livraison"), start=1):
            rows["order_steps"].append({"id": cid * 4 + pos - 1, "order_id": cid, "position": pos, "label": label,
                                        "status": "done" if pos <= done else "pending",
                                        "expected_on": placed + timedelta(days=2 * pos),
                                        "done_on": placed + timedelta(days=2 * pos) if pos <= done else None})
    rows["commercial_gestures"] = [{"id": cid, "customer_id": cid,
                                    "granted_on": TODAY - timedelta(days=rng.randint(10, 400)),
                                    "amount": Decimal(rng.choice((5, 10, 15, 20, 30))),
                                    "reason": "geste suite à incident", "advisor_login": "n1.demo"}] \
        if rng.random() < 0.05 else []
    rows["guardianships"] = [{"id": cid, "customer_id": cid, "kind": rng.choice(("tutelle", "curatelle")),
                              "guardian_name": f"{rng.choice(pools.female)} {rng.choice(pools.last)}",
                              "guardian_phone": _mobile_number(10**7 + i), "guardian_email": None,
                              "guardian_address": "", "court_decision_on": since, "ends_on": None}] \
        if rng.random() < 0.01 else []
    return rows


TABLES = (Customer, Account, PaymentMethod, Contract, Line, LineOption, Consumption, Equipment, Invoice,
          CollectionCase, Interaction, CustomerEvent, Order, OrderStep, CommercialGesture, Guardianship)


def _generate(count: int, seed: int, start: int) -> Iterator[dict[str, list[dict[str, Any]]]]:
    pools = _Pools(seed)
    rng = random.Random()
    for i in range(start, start + count):
        yield _customer_rows(i, seed, pools, rng)


def existing_synthetic(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Customer).where(Customer.id >= FIRST_SYNTHETIC_ID)) or 0


def insert_coverage(session: Session, seed: int) -> None:
    pools = _Pools(seed)
    known = set(session.scalars(select(Coverage.postcode)))
    rows = [{"postcode": pc, "fibre": f, "adsl_max_mbps": a, "mobile_5g": g}
            for pc, (f, a, g) in pools.coverage.items() if pc not in known]
    if rows:
        session.execute(insert(Coverage), rows)


def insert_synthetic(
    session: Session, count: int, seed: int, batch: int = 2000, progress: Callable[[int], None] | None = None
) -> int:
    """Add synthetic customers until ``count`` exist; returns how many were inserted."""
    start = existing_synthetic(session) + 1
    todo = count - start + 1
    if todo <= 0:
        return 0
    insert_coverage(session, seed)
    pending: dict[str, list[dict[str, Any]]] = {m.__tablename__: [] for m in TABLES}
    inserted = buffered = 0
    conn = session.connection()
    for rows in _generate(todo, seed, start):
        for table, items in rows.items():
            pending[table].extend(items)
        buffered += 1
        if buffered >= batch:
            _flush(conn, pending)
            inserted += buffered
            if progress:
                progress(buffered)
            buffered = 0
    if buffered:
        _flush(conn, pending)
        inserted += buffered
        if progress:
            progress(buffered)
    reset_sequences(session)
    return inserted


def _flush(conn: Any, pending: dict[str, list[dict[str, Any]]]) -> None:
    for model in TABLES:
        rows = pending[model.__tablename__]
        if rows:
            conn.execute(insert(model.__table__), rows)
            rows.clear()


def reset_sequences(session: Session) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL's id sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in (t.name for t in Base.metadata.sorted_tables if "id" in t.c and t.c.id.autoincrement is not False
                  and t.c.id.primary_key and t.c.id.type.python_type is int):
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"))
