"""Property-based fuzzing of the CRM API from its own ``/openapi.json`` (schemathesis).

Every operation is called with generated requests (valid and invalid ones); each response must pass the
schemathesis checks: no 5xx, status code / content type / headers / body as documented, invalid input
rejected, and so on. The app runs in-process (ASGI) on a fresh SQLite database with the demo data; PostgreSQL
is covered by the other API tests. Two passes: a supervisor (the widest customer permissions) on every
operation, and a smaller one as the administrator for the admin-only routes.

A failure prints the reproducing request as a curl command. Run alone with:
    .venv/bin/python -m pytest tests/crm_core/api/test_openapi_fuzz.py -q
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.python import asgi
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.app import create_app
from assistant.copilot.settings import CopilotSettings
from copilot_cli.stack import free_port
from tests.factories import auth

# Seeded demo data, so generated requests reach existing rows (edits, option removals...) and not only 404s.
CUSTOMER_IDS = [1, 2, 3, 4]
LINE_IDS = [1, 2, 3, 4, 5, 6]
OPTION_CODES = ["OPT_DATA_EU", "OPT_TV_SPORT", "OPT_INTERNATIONAL", "OPT_CLOUD", "OPT_SECURITE", "MOBILE_100G"]
PACK_CODES = ["collection_tools", "technical_support", "guardianship_desk"]
PROFILE_CODES = ["n1_customer_contact", "supervisor", "admin", "trainer"]
_KNOWN = {"customer_id": CUSTOMER_IDS, "line_id": LINE_IDS, "loan_id": [1, 2], "option_code": OPTION_CODES}

FUZZ = settings(max_examples=40, derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture])


def _valid(name: str, value: Any) -> bool:
    if name == "option_code":
        return isinstance(value, str) and len(value) <= 40
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1


def _app(engine: Any = None) -> Any:
    closed = free_port()  # Rasa and the action server are down: /health says so
    return create_app(CopilotSettings(rasa_url=f"http://127.0.0.1:{closed}", actions_url=f"http://127.0.0.1:{closed}"),
                      engine=engine)


# The schema is what the app serves at /openapi.json (no lifespan, so no database, is needed for that). It is
# loaded at import so each operation is its own test with its own database: `schemathesis.pytest.from_fixture`
# would be the other way, but it breaks on pytest 9 (it sets `Function._nodeid`, which pytest 9 removed).
schema = schemathesis.openapi.from_dict(TestClient(_app()).get("/openapi.json").json())


@schema.hook
def flatmap_path_parameters(_ctx: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy:
    # Valid ids are swapped for seeded ones half of the time; invalid ones (negative cases) are kept as they are.
    swaps = {name: st.sampled_from(_KNOWN[name]) | st.just(value)
             for name, value in path_parameters.items() if name in _KNOWN and _valid(name, value)}
    return st.fixed_dictionaries(swaps).map(lambda new: {**path_parameters, **new})


@schema.hook
def flatmap_body(_ctx: Any, body: Any) -> st.SearchStrategy:
    if not isinstance(body, dict):
        return st.just(body)
    swaps = {key: st.sampled_from(codes) | st.just(body[key])
             for key, codes in (("pack_code", PACK_CODES), ("profile_code", PROFILE_CODES),
                                ("option_code", OPTION_CODES))
             if isinstance(body.get(key), str) and len(body[key]) <= 40}
    return st.fixed_dictionaries(swaps).map(lambda new: {**body, **new})


@pytest.fixture
def crm_app(sqlite_sessions: sessionmaker[Session]) -> Iterator[Any]:
    """The app on a fresh SQLite database with the demo data, called in-process by schemathesis."""
    yield _app(sqlite_sessions.kw["bind"])
    # schemathesis' ASGI client starts the app's lifespan on the first call and keeps it: end it with the test
    asgi.shutdown_lifespans()


@schema.parametrize()
@FUZZ
def test_every_operation_as_a_supervisor(case: schemathesis.Case, crm_app: Any) -> None:
    case.call_and_validate(app=crm_app, headers=auth("sup.demo"))


@schema.include(tag="habilitations").parametrize()
@settings(FUZZ, max_examples=25)
def test_habilitation_routes_as_an_administrator(case: schemathesis.Case, crm_app: Any) -> None:
    case.call_and_validate(app=crm_app, headers=auth("admin.demo"))
