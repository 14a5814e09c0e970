"""Journey "out_of_scope": the right contact for each service, with or without an identified caller."""

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts import redirect
from crm_core.acts.catalogue import ACTS
from crm_core.services.validation import ValidationFailed
from tests.crm_core.acts.conftest import Acts, traces

CAMILLE = 1


def test_every_service_of_the_catalogue_has_an_answer() -> None:
    offered = {value for value, _ in ACTS["redirect_caller"].param("service").choices}
    assert offered == set(redirect.ANSWERS)


def test_emergencies_give_the_four_numbers_without_a_customer(acts: Acts) -> None:
    out = acts().execute("redirect_caller", None, {"service": "emergency"})
    assert out["status"] == "done" and out["writes"] is False and out["customer_id"] is None
    for number in ("112", "15 (SAMU)", "17 (police secours)", "18 (pompiers)"):
        assert number in out["summary"]
    assert {"label": "Service", "value": "Numéros d'urgence"} in out["details"]


def test_another_operator_means_portability_with_the_rio(acts: Acts) -> None:
    out = acts().preview("redirect_caller", None, {"service": "other_operator"})
    assert "portabilité" in out["summary"] and "donnez le RIO" in out["summary"]
    assert out["facts"]["contact"] == "RIO : 3179"


def test_the_shop_locator_is_narrowed_to_the_customer_s_postcode(acts: Acts) -> None:
    anonymous = acts().preview("redirect_caller", None, {"service": "shop"})
    assert anonymous["facts"]["contact"] == redirect.SHOP_LOCATOR_URL
    known = acts().preview("redirect_caller", CAMILLE, {"service": "shop"})
    assert known["facts"]["contact"] == f"{redirect.SHOP_LOCATOR_URL}?cp=69003"
    web = acts().preview("redirect_caller", CAMILLE, {"service": "web"})
    assert redirect.CUSTOMER_SPACE_URL in web["summary"]


def test_an_unknown_service_is_refused_and_traced(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ValidationFailed):
        acts().preview("redirect_caller", None, {"service": "mairie"})
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "redirect_caller" and refusal["error"] == "ValidationFailed"
