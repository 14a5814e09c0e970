"""Input hardening of the API: text without control or invisible characters, plausible dates, bounded cursors and
integers (400/422, never 500), 405 with its ``Allow``, every refusal in French. On SQLite and PostgreSQL."""

import base64
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.models import Customer, Guardianship, TraceEvent
from crm_core.schemas.edits import GuardianshipUpdate
from crm_core.services import validation
from crm_core.services.edits import CustomerEditor
from crm_core.services.validation import ValidationFailed
from tests.factories import advisor, auth

PROBLEM = "application/problem+json"
TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "current_date", lambda: TODAY)


def _state(sessions: sessionmaker[Session], customer_id: int) -> dict[str, Any]:
    """What an edit could have written: the customer's version and address, the guardianship, all the traces."""
    with sessions() as db:
        customer = db.get(Customer, customer_id)
        assert customer is not None
        guardianship = db.scalar(select(Guardianship).where(Guardianship.customer_id == customer_id))
        return {"version": customer.version, "address": (customer.address_line, customer.city),
                "guardianship": None if guardianship is None else (guardianship.guardian_address,
                                                                   guardianship.court_decision_on),
                "traces": db.scalar(select(func.count()).select_from(TraceEvent))}


def _refused(response: Any, status: int = 422) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] in ("Données invalides", "Requête invalide")
    return {e["field"]: e["message"] for e in body.get("errors") or []}


# -- text ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("changes", "field", "code_point"), [
    ({"address_line": "12 rue de la Paix\u202e3 ,ésiveL"}, "address_line", "U+202E"),
    ({"address_line": "12 rue de la Paix", "city": "Ly\u200bon"}, "city", "U+200B"),
    ({"city": "Lyon\u2028"}, "city", "U+2028"),
    ({"email": "\ufeffcamille@exemple.fr"}, "email", "U+FEFF"),
])
def test_an_address_with_invisible_characters_is_refused_and_nothing_is_written(
        api: TestClient, sessions: sessionmaker[Session], changes: dict[str, str], field: str, code_point: str) -> None:
    before = _state(sessions, 1)
    errors = _refused(api.patch("/api/customers/1", json={**changes, "version": before["version"]},
                                headers=auth("n1.demo")))
    assert set(errors) == {field}
    assert errors[field].startswith(f"Le texte contient des caractères non autorisés (dont {code_point}")
    assert _state(sessions, 1) == before


@pytest.mark.parametrize("address", ["8 rue de Siam\x00, 29200 Brest", "\x1b[31m8 rue de Siam\x1b[0m, 29200 Brest",
                                     "8 rue de Siam\u2066, 29200 Brest"])
def test_a_guardian_address_with_nul_or_ansi_escapes_is_refused_and_nothing_is_written(
        api: TestClient, sessions: sessionmaker[Session], address: str) -> None:
    before = _state(sessions, 2)
    body = {"kind": "tutelle", "guardian_name": "Mme Anne Lefèvre (fille)", "guardian_address": address}
    errors = _refused(api.put("/api/customers/2/guardianship", json=body, headers=auth("sup.demo")))
    assert list(errors) == ["guardian_address"] and "caractères non autorisés" in errors["guardian_address"]
    assert _state(sessions, 2) == before


def test_the_guardian_address_is_checked_by_the_service_too(sessions: sessionmaker[Session]) -> None:
    """Actions call the service without the API's schema: the service refuses the same characters."""
    update = GuardianshipUpdate.model_construct(kind="tutelle", guardian_name="Mme Anne Lefèvre", guardian_phone=None,
                                                guardian_email=None, guardian_address="\x1b[2J8 rue de Siam",
                                                court_decision_on=None, version=None)
    before = _state(sessions, 2)
    with pytest.raises(ValidationFailed) as caught, transaction(sessions) as db:
        CustomerEditor(db, advisor("supervisor")).set_guardianship(2, update)
    assert [(e.field, e.message[:48]) for e in caught.value.errors] == [
        ("guardian_address", "L'adresse du représentant contient des caractère")]
    assert _state(sessions, 2) == before


def test_french_text_goes_through_normalised(api: TestClient, sessions: sessionmaker[Session]) -> None:
    body = {"kind": "curatelle", "guardian_name": " M. Nguyễn O’Connor ", "guardian_address": "8 rue de l’E\u0301glise",
            "court_decision_on": TODAY.isoformat()}
    assert api.put("/api/customers/2/guardianship", json=body, headers=auth("sup.demo")).status_code == 200
    assert _state(sessions, 2)["guardianship"] == ("8 rue de l’Église", TODAY)


def test_search_criteria_and_the_dev_login_refuse_control_characters(api: TestClient) -> None:
    for params, field in (({"name": "Mart\u202ein"}, "name"), ({"email": "a@b.fr\x00"}, "email"),
                          ({"line": "\x1b[31m0712345678"}, "line")):
        errors = _refused(api.get("/api/customers", params=params, headers=auth("n1.demo")))
        assert set(errors) == {field} and "caractères non autorisés" in errors[field]
    assert api.get("/api/customers", params={"name": "Lefèvre"}, headers=auth("n1.demo")).status_code == 200
    errors = _refused(api.post("/api/dev/token", json={"login": "n1.demo\u200b"}))
    assert set(errors) == {"login"}


# -- dates -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("born", ["1899-12-31", "2026-06-16", "9999-12-31"])
def test_a_search_birth_date_out_of_range_is_refused_in_french(api: TestClient, born: str) -> None:
    response = api.get("/api/customers", params={"name": "Martin", "birth_date": born}, headers=auth("n1.demo"))
    errors = _refused(response)
    assert errors == {"birth_date": "La date de naissance doit être comprise entre le 01/01/1900 et aujourd'hui "
                                    "(15/06/2026)."}
    assert response.json()["detail"] == "Données refusées : corrigez les champs indiqués."


def test_a_search_birth_date_in_range_is_searched(api: TestClient) -> None:
    for born in ("1900-01-01", TODAY.isoformat()):
        response = api.get("/api/customers", params={"name": "Martin", "birth_date": born}, headers=auth("n1.demo"))
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("decided", ["1899-12-31", "2026-06-16", "3026-01-01"])
def test_a_court_decision_out_of_range_is_refused_and_nothing_is_written(
        api: TestClient, sessions: sessionmaker[Session], decided: str) -> None:
    before = _state(sessions, 2)
    body = {"kind": "tutelle", "guardian_name": "Mme Anne Lefèvre (fille)", "court_decision_on": decided}
    errors = _refused(api.put("/api/customers/2/guardianship", json=body, headers=auth("sup.demo")))
    assert errors == {"court_decision_on": "La date de la décision du juge doit être comprise entre le 01/01/1900 et "
                                           "aujourd'hui (15/06/2026)."}
    assert _state(sessions, 2) == before


# -- cursors and integers --------------------------------------------------------------------------------------------
def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


FORGED = ["id:" + "9" * 30, f"id:{2**31}", f"id:{2**63}", "id:0", "id:-1", "id:+5", "id:1e3", "id:\u0663", "id:1_000",
          "id: 7", "page:3", "id:"]


@pytest.mark.parametrize("path", ["/api/customers", "/api/customers/1/traces"])
def test_a_forged_cursor_is_a_400_in_french_never_a_500(api: TestClient, path: str) -> None:
    for raw in FORGED:
        response = api.get(path, params={"cursor": _cursor(raw)}, headers=auth("sup.demo"))
        _refused(response, 400)
        assert response.json()["detail"].startswith("Curseur de pagination invalide"), raw
    response = api.get(path, params={"cursor": "%%%not base64"}, headers=auth("sup.demo"))
    _refused(response, 400)


@pytest.mark.parametrize("path", ["/api/customers", "/api/customers/1/traces"])
def test_the_largest_id_a_cursor_can_carry_is_still_read(api: TestClient, path: str) -> None:
    response = api.get(path, params={"cursor": _cursor(f"id:{2**31 - 1}")}, headers=auth("sup.demo"))
    assert response.status_code == 200, response.text


def test_pages_follow_each_other_with_the_cursors_the_api_gives(api: TestClient) -> None:
    first = api.get("/api/customers", params={"limit": 2}, headers=auth("sup.demo")).json()
    second = api.get("/api/customers", params={"limit": 2, "cursor": first["next_cursor"]},
                     headers=auth("sup.demo")).json()
    assert [c["id"] for c in first["items"]] == [1, 2] and [c["id"] for c in second["items"]] == [3, 4]


def test_an_out_of_range_version_is_a_422_in_french(api: TestClient, sessions: sessionmaker[Session]) -> None:
    before = _state(sessions, 1)
    for version, message in ((2**31, "Valeur trop grande (au plus 2147483647)."),
                             (10**30, "Valeur trop grande (au plus 2147483647)."),
                             (0, "Valeur trop petite (au moins 1).")):
        errors = _refused(api.patch("/api/customers/1", json={"city": "Villeurbanne", "version": version},
                                    headers=auth("n1.demo")))
        assert errors == {"version": message}
    assert _state(sessions, 1) == before


# -- 405 -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/static/panel.css", "GET, HEAD"),
    ("DELETE", "/static/js/main.js", "GET, HEAD"),
    ("POST", "/", "GET"),
    ("DELETE", "/api/me", "GET"),
    ("PUT", "/api/customers", "GET"),
    ("POST", "/api/customers/1/traces", "GET"),
    ("GET", "/api/customers/1/guardianship", "DELETE, PUT"),
    ("PUT", "/api/customers/1", "PATCH"),
    ("GET", "/api/dev/token", "POST"),
    ("POST", "/openapi.json", "GET, HEAD"),
])
def test_a_405_names_the_methods_allowed_in_french(api: TestClient, method: str, path: str,
                                                   allow: str) -> None:
    response = api.request(method, path, headers=auth("sup.demo"))
    assert response.status_code == 405 and response.headers["content-type"] == PROBLEM
    assert response.headers["Allow"] == allow
    assert response.json()["detail"] == (f"Méthode {method} non autorisée sur cette adresse ; méthodes acceptées : "
                                         f"{allow}.")


def test_every_405_of_the_api_carries_exactly_the_documented_methods(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    checked = 0
    for template, operations in paths.items():
        path = template.replace("{customer_id}", "1").replace("{line_id}", "1").replace("{loan_id}", "1") \
            .replace("{option_code}", "OPT_CLOUD")
        documented = {m.upper() for m in operations}
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - documented:
            response = api.request(method, path, headers=auth("sup.demo"))
            assert response.status_code == 405, (method, path)
            assert set(response.headers["Allow"].split(", ")) == documented, (method, path)
            checked += 1
    assert checked > 20
