"""Journey "terminate": fees from the commitment end, the electronic-tag line never cut, the death procedure."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.base import ActRefused
from crm_core.models import CustomerEvent, Line, Offer
from crm_core.services.errors import StaleVersion
from tests.crm_core.acts.conftest import Acts, traces

CAMILLE, KEVIN = 1, 4
CAMILLE_BOX, KEVIN_TAG_LINE = 2, 6


def test_commitment_end_lists_each_line_with_its_fees(acts: Acts) -> None:
    out = acts().preview("check_commitment_end", CAMILLE, {})
    by_line = {li["line"]: li for li in out["facts"]["lines"]}
    assert by_line["+33972123456"]["commitment_end"] == "2027-09-01"
    assert Decimal(by_line["+33972123456"]["fees"]) > 0  # nine months left on the box
    assert by_line["+33712345678"]["fees"] == "0.00"  # ended on 15/03/2026
    assert "engagé jusqu'au 01/09/2027" in out["summary"]
    assert "engagement terminé depuis le 15/03/2026" in out["summary"]


def test_fees_follow_the_chatel_rule() -> None:
    from crm_core.acts.terminate import termination_fees

    offer = Offer(code="X", label="X", universe="mobile", monthly_price=Decimal("20.00"), commitment_months=24)
    after_first_year = Line(commitment_end=date(2027, 6, 1), offer=offer)  # 6 months left: 25 %
    assert termination_fees(after_first_year, date(2026, 12, 1)) == Decimal("30.00")
    in_first_year = Line(commitment_end=date(2028, 6, 1), offer=offer)  # 18 left: 6 in full + 12 at 25 %
    assert termination_fees(in_first_year, date(2026, 12, 1)) == Decimal("180.00")
    # the line's own commitment counts, not its offer's of today: Camille's box, 24 months from 01/09/2025,
    # under an offer now sold with 12: 9 months left after the first year, at 25 %
    box = Offer(code="B", label="B", universe="fixed", monthly_price=Decimal("42.99"), commitment_months=12)
    camille = Line(activation_date=date(2025, 9, 1), commitment_end=date(2027, 9, 1), offer=box)
    assert termination_fees(camille, date(2026, 12, 1)) == Decimal("96.73")


def test_termination_is_previewed_then_done_with_its_trace(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    params = {"line": str(CAMILLE_BOX), "termination_date": "2026-12-15"}
    preview = service.preview("register_termination", CAMILLE, params)
    assert preview["status"] == "preview"
    assert preview["changes"] == [{"field": "lines", "label": "Ligne 09 72 12 34 56", "before": "active",
                                   "after": "résiliée au 15/12/2026"}]
    assert any("fidélisation" in w for w in preview["warnings"])
    assert any("Box Fibre 2G" in d["value"] for d in preview["details"])  # the rented box goes back
    with sessions() as s:
        assert s.scalar(select(CustomerEvent).where(CustomerEvent.line_id == CAMILLE_BOX)) is None  # not written

    done = service.execute("register_termination", CAMILLE, params, version=preview["version"])
    assert done["status"] == "done" and done["version"] > preview["version"]
    with sessions() as s:
        event = s.scalar(select(CustomerEvent).where(CustomerEvent.line_id == CAMILLE_BOX))
        assert event.kind == "scheduled_termination" and event.due_on == date(2026, 12, 15)
        assert Decimal(event.details["fees"]) == Decimal(preview["facts"]["fees"])
    [trace] = traces(sessions, "act.done")
    assert trace["act"] == "register_termination" and trace["call_id"] == "call-test"
    assert trace["changes"][0]["after"] == "résiliée au 15/12/2026"

    with pytest.raises(ActRefused, match="déjà programmée"):
        service.execute("register_termination", CAMILLE, params)


def test_the_electronic_tag_line_is_never_cut(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ActRefused, match="bracelet électronique"):
        acts().execute("register_termination", KEVIN, {"line": str(KEVIN_TAG_LINE),
                                                       "termination_date": "2026-12-15"})
    with sessions() as s:
        assert s.scalar(select(CustomerEvent).where(CustomerEvent.line_id == KEVIN_TAG_LINE)) is None
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "register_termination" and "bracelet" in refusal["reason"]


def test_a_stale_version_writes_nothing(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    version = service.preview("check_commitment_end", CAMILLE, {})["version"]
    service.execute("update_contact_details", CAMILLE, {"email": "camille.m@exemple.fr"}, version=version)
    with pytest.raises(StaleVersion):
        service.execute("register_termination", CAMILLE, {"line": str(CAMILLE_BOX),
                                                          "termination_date": "2026-12-15"}, version=version)
    with sessions() as s:
        assert s.scalar(select(CustomerEvent).where(CustomerEvent.line_id == CAMILLE_BOX)) is None


def test_a_past_date_is_refused(acts: Acts) -> None:
    with pytest.raises(ActRefused, match="passée"):
        acts().preview("register_termination", CAMILLE, {"line": str(CAMILLE_BOX), "termination_date": "2026-11-30"})


def test_death_ends_every_line_without_fees_but_the_tag_line(acts: Acts, sessions: sessionmaker[Session]) -> None:
    params = {"death_date": "2026-11-28", "declarant_name": "Léa Moreau", "declarant_phone": "06 11 22 33 44"}
    done = acts().execute("declare_holder_death", KEVIN, params)
    assert done["facts"]["lines"] == []  # his only line carries an electronic tag: not cut here
    assert any("bracelet" in w or "niveau 2" in w for w in done["warnings"])
    done = acts().execute("declare_holder_death", CAMILLE, params)
    assert sorted(done["facts"]["lines"]) == ["+33712345678", "+33972123456"]
    with sessions() as s:
        events = s.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == CAMILLE)).all()
        assert {e.kind for e in events} >= {"death", "scheduled_termination"}
        assert all(e.details.get("fees") in (None, "0.00") for e in events)
    with pytest.raises(ActRefused, match="déjà enregistré"):
        acts().execute("declare_holder_death", CAMILLE, params)
