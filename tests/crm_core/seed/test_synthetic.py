from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from stdnum import iban as stdnum_iban

from crm_core.core.db import create_schema, make_engine, session_factory, transaction
from crm_core.models import Account, Customer, Line, PaymentMethod
from crm_core.phone import to_e164
from crm_core.seed import seed_reference
from crm_core.seed.synthetic import FIRST_SYNTHETIC_ID, insert_synthetic


def _db(path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        seed_reference(s)
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
        customers = list(s.scalars(select(Customer).where(Customer.id >= FIRST_SYNTHETIC_ID)))
        numbers = list(s.scalars(select(Line.number)))
        ibans = list(s.scalars(select(PaymentMethod.iban).where(PaymentMethod.account_id >= FIRST_SYNTHETIC_ID)))
        accounts = s.scalar(select(func.count()).select_from(Account).where(Account.customer_id >= FIRST_SYNTHETIC_ID))
    assert len(customers) == 40 and min(c.id for c in customers) == FIRST_SYNTHETIC_ID
    assert accounts == 40 and len(ibans) == 40 and all(stdnum_iban.is_valid(i) for i in ibans)
    assert all(len(c.postcode) == 5 and c.postcode.isdigit() for c in customers)
    assert all(c.email and c.email.isascii() and c.email.count("@") == 1 for c in customers)
    assert len(numbers) == len(set(numbers)) and len(numbers) >= 40
    assert all(to_e164(n) == n for n in numbers)
