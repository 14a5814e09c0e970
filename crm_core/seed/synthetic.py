"""Deterministic, realistic French synthetic customers (Faker ``fr_FR``).

Customer ``i`` (1-based among synthetic ones) always gets the same identity and lines for a given seed;
ids start at ``FIRST_SYNTHETIC_ID`` so they never collide with the demo personas.
"""

import random
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from faker import Faker
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from crm_core.models import Customer, Line

FIRST_SYNTHETIC_ID = 1001
_MOBILE_OFFERS = ("MOBILE_2H", "MOBILE_100G", "MOBILE_5G_200G")
_BOX_OFFERS = ("BOX_ADSL", "BOX_FIBRE_1G", "BOX_FIBRE_2G_TV", "CONV_FAMILLE")
_TODAY = date(2026, 11, 1)  # fixed so that the data set does not depend on the day it is generated


def _mobile_number(i: int) -> str:
    # A bijection of [0, 10^8) (48271 is prime to 10^8): unique, random-looking 06 numbers.
    return f"+336{(i * 48271 + 12345) % 10**8:08d}"


def _fixed_number(i: int) -> str:
    area = 1 + i % 5  # 01..05
    return f"+33{area}{(i * 69621 + 777) % 10**8:08d}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _rows(count: int, seed: int, start: int) -> Iterator[tuple[dict, list[dict]]]:
    fake = Faker("fr_FR")
    rng = random.Random()
    for i in range(start, start + count):
        # Each customer draws from its own seed: customer i is the same whatever was generated before.
        fake.seed_instance(seed * 100_000_007 + i)
        rng.seed(seed * 100_000_007 + i)
        civility = rng.choice(("M.", "Mme"))
        first = fake.first_name_male() if civility == "M." else fake.first_name_female()
        last = fake.last_name()
        birth = _TODAY - timedelta(days=rng.randint(18 * 365, 90 * 365))
        postcode = fake.postcode()
        city = fake.city()
        street = fake.street_address()
        email_user = _ascii(f"{first}.{last}".lower()).replace(" ", "").replace("'", "")
        email_domain = fake.free_email_domain()
        n_lines = rng.choice((1, 1, 2, 2, 3))
        kinds = ["fixed"] + ["mobile"] * (n_lines - 1) if rng.random() < 0.6 else ["mobile"] * n_lines
        lines = []
        for k, kind in enumerate(kinds):
            activation = _TODAY - timedelta(days=rng.randint(1, 12 * 365))
            months = rng.choice((0, 12, 24))
            commitment = activation + timedelta(days=30 * months) if months else None
            key = i * 4 + k
            lines.append({
                "number": _fixed_number(key) if kind == "fixed" else _mobile_number(key),
                "kind": kind,
                "offer_code": rng.choice(_BOX_OFFERS if kind == "fixed" else _MOBILE_OFFERS),
                "activation_date": activation,
                "commitment_end": commitment,
                "status": "active" if rng.random() < 0.95 else "suspended",
            })
        customer_id = FIRST_SYNTHETIC_ID + i - 1
        customer = {
            "id": customer_id, "civility": civility, "first_name": first, "last_name": last,
            "birth_date": birth, "email": f"{email_user}@{email_domain}",
            "address_line": street, "postcode": postcode, "city": city, "version": 1,
        }
        for line in lines:
            line["customer_id"] = customer_id
        yield customer, lines


def existing_synthetic(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Customer).where(Customer.id >= FIRST_SYNTHETIC_ID)) or 0


def insert_synthetic(
    session: Session, count: int, seed: int, batch: int = 1000, progress: Callable[[int], None] | None = None
) -> int:
    """Add synthetic customers until ``count`` exist; returns how many were inserted."""
    start = existing_synthetic(session) + 1
    todo = count - start + 1
    if todo <= 0:
        return 0
    customers: list[dict] = []
    lines: list[dict] = []
    inserted = 0
    for customer, customer_lines in _rows(todo, seed, start):
        customers.append(customer)
        lines.extend(customer_lines)
        if len(customers) >= batch:
            inserted += _flush(session, customers, lines, progress)
    inserted += _flush(session, customers, lines, progress)
    return inserted


def _flush(session: Session, customers: list[dict], lines: list[dict], progress: Callable[[int], None] | None) -> int:
    if not customers:
        return 0
    n = len(customers)
    session.execute(insert(Customer), customers)
    session.execute(insert(Line), lines)
    customers.clear()
    lines.clear()
    if progress:
        progress(n)
    return n
