from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import create_schema, make_engine, session_factory, transaction
from crm_core.models import Customer, Line
from crm_core.phone import to_e164
from crm_core.seed.catalogue import upsert_catalogue
from crm_core.seed.synthetic import FIRST_SYNTHETIC_ID, insert_synthetic


def _db(path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        upsert_catalogue(s)
    return factory


def _snapshot(factory: sessionmaker[Session]) -> list[tuple]:
    with factory() as s:
        rows = s.execute(select(Customer.id, Customer.first_name, Customer.last_name, Customer.birth_date,
                                Customer.postcode, Customer.city).order_by(Customer.id)).all()
        lines = s.execute(select(Line.customer_id, Line.number, Line.offer_code).order_by(Line.number)).all()
    return [tuple(r) for r in rows] + [tuple(r) for r in lines]


def test_same_seed_same_customers_and_another_seed_others(tmp_path: Path) -> None:
    a, b, c = _db(tmp_path / "a.db"), _db(tmp_path / "b.db"), _db(tmp_path / "c.db")
    for factory, seed in ((a, 7), (b, 7), (c, 8)):
        with transaction(factory) as s:
            assert insert_synthetic(s, 50, seed, batch=16) == 50
    assert _snapshot(a) == _snapshot(b)
    assert _snapshot(a) != _snapshot(c)


def test_seeding_again_adds_only_what_is_missing_and_continues_the_same_sequence(tmp_path: Path) -> None:
    whole, stepwise = _db(tmp_path / "w.db"), _db(tmp_path / "s.db")
    with transaction(whole) as s:
        insert_synthetic(s, 30, 3)
    with transaction(stepwise) as s:
        insert_synthetic(s, 12, 3)
    with transaction(stepwise) as s:
        assert insert_synthetic(s, 30, 3) == 18
    with transaction(stepwise) as s:
        assert insert_synthetic(s, 30, 3) == 0
    assert _snapshot(whole) == _snapshot(stepwise)


def test_synthetic_data_looks_french_and_valid(tmp_path: Path) -> None:
    factory = _db(tmp_path / "v.db")
    with transaction(factory) as s:
        insert_synthetic(s, 40, 1)
    with factory() as s:
        customers = list(s.scalars(select(Customer)))
        numbers = list(s.scalars(select(Line.number)))
    assert min(c.id for c in customers) == FIRST_SYNTHETIC_ID
    assert all(len(c.postcode) == 5 and c.postcode.isdigit() for c in customers)
    assert all(c.email and c.email.isascii() and c.email.count("@") == 1 for c in customers)
    assert len(numbers) == len(set(numbers)) and len(numbers) >= 40
    assert all(to_e164(n) == n for n in numbers)
