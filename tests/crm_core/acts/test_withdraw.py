"""Journey "withdraw": the 14-day period from the subscription or the purchase, the withdrawal and its returns."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.base import ActRefused
from crm_core.models import CustomerEvent, Line, Order, OrderStep
from tests.crm_core.acts.conftest import Acts, traces

CAMILLE, JEAN_PIERRE, SOPHIE, KEVIN = 1, 2, 3, 4
SOPHIE_LINE, SOPHIE_ORDER = "line:5", "order:2"


def _events(sessions: sessionmaker[Session], customer_id: int, kind: str) -> list[CustomerEvent]:
    with sessions() as s:
        return list(s.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == customer_id,
                                                          CustomerEvent.kind == kind)))


def _activate(sessions: sessionmaker[Session], line_id: int, on: date) -> None:
    with sessions() as s, s.begin():
        s.get(Line, line_id).activation_date = on


def test_the_form_lists_subscriptions_and_purchases(acts: Acts) -> None:
    form = acts().open("register_withdrawal", SOPHIE)
    [target] = [p for p in form["params"] if p["name"] == "target"]
    assert [c["value"] for c in target["choices"]] == [SOPHIE_LINE, SOPHIE_ORDER]
    assert target["value"] == SOPHIE_ORDER  # the only one still within its 14 days
    camille = acts().open("check_withdrawal_period", CAMILLE)
    [target] = [p for p in camille["params"] if p["name"] == "target"]
    assert {c["value"] for c in target["choices"]} == {"line:1", "line:2", "order:1", "equipment:2"}  # phone bought
    assert target["value"] == "order:1"  # placed on 20/11: the only one in time


def test_the_period_counts_from_the_subscription_and_the_purchase(acts: Acts) -> None:
    line = acts().preview("check_withdrawal_period", SOPHIE, {"target": SOPHIE_LINE})
    assert line["facts"]["deadline"] == "2026-10-16" and line["facts"]["in_time"] is False
    assert "rétractation impossible, délai dépassé : il courait jusqu'au 16/10/2026" in line["summary"]
    assert "souscription du 02/10/2026" in line["summary"]
    order = acts().preview("check_withdrawal_period", SOPHIE, {"target": SOPHIE_ORDER})
    assert order["facts"]["deadline"] == "2026-12-03" and order["facts"]["days_left"] == 2
    assert "rétractation possible jusqu'au 03/12/2026 inclus (encore 2 jours" in order["summary"]


def test_too_late_is_refused_with_the_deadline(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ActRefused, match="a pris fin le 16/10/2026. Proposez plutôt la résiliation"):
        acts().execute("register_withdrawal", SOPHIE, {"target": SOPHIE_LINE})
    assert _events(sessions, SOPHIE, "withdrawal") == []
    assert _events(sessions, SOPHIE, "scheduled_termination") == []
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "register_withdrawal" and "16/10/2026" in refusal["reason"]


def test_an_order_withdrawn_is_cancelled_once(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    preview = service.preview("register_withdrawal", SOPHIE, {"target": SOPHIE_ORDER, "reason": "déménagement"})
    assert preview["changes"] == [{"field": "orders", "label": "Commande WEB-2611-0107", "before": "en cours",
                                   "after": "annulée (rétractation)"}]
    returns = [d["value"] for d in preview["details"] if d["label"] == "Retour du matériel"]
    assert returns and "non livrée : rien à renvoyer" in returns[0]
    assert any("remboursées sous 14 jours" in w for w in preview["warnings"])
    assert _events(sessions, SOPHIE, "withdrawal") == []

    done = service.execute("register_withdrawal", SOPHIE, {"target": SOPHIE_ORDER, "reason": "déménagement"},
                           version=preview["version"])
    [event] = _events(sessions, SOPHIE, "withdrawal")
    assert event.details["target"] == SOPHIE_ORDER and event.details["reason"] == "déménagement"
    assert event.details["deadline"] == "2026-12-03"
    assert event.due_on == date(2026, 12, 15)  # the equipment's return, within 14 days
    assert done["facts"]["ref"]["event"] == event.id
    with sessions() as s:
        assert s.get(Order, 2).status == "cancelled"
        assert [st.status for st in s.scalars(select(OrderStep).where(OrderStep.order_id == 2)
                                              .order_by(OrderStep.position))] == ["done", "cancelled", "cancelled"]

    with pytest.raises(ActRefused, match=r"déjà enregistrée pour Commande WEB-2611-0107 .* \(le 01/12/2026\)"):
        service.execute("register_withdrawal", SOPHIE, {"target": SOPHIE_ORDER})
    assert len(_events(sessions, SOPHIE, "withdrawal")) == 1
    check = service.preview("check_withdrawal_period", SOPHIE, {"target": SOPHIE_ORDER})
    assert check["facts"]["already"] is True and "déjà enregistrée le 01/12/2026" in check["summary"]


def test_a_line_withdrawn_is_terminated_without_fees_and_its_box_goes_back(
        acts: Acts, sessions: sessionmaker[Session]) -> None:
    _activate(sessions, 4, date(2026, 11, 20))  # his ADSL box, in a contract signed in 2012
    check = acts().preview("check_withdrawal_period", JEAN_PIERRE, {"target": "line:4"})
    assert check["facts"]["deadline"] == "2026-12-04"  # from the line's subscription, not the 2012 contract
    done = acts().execute("register_withdrawal", JEAN_PIERRE, {"target": "line:4"})
    assert done["warnings"][0].startswith("Sous tutelle")
    [returned] = [d["value"] for d in done["details"] if d["label"] == "Retour du matériel"]
    assert "Box ADSL v3 (n° BXA3-10022)" in returned and "dépôt de garantie de 49,00 € remboursé" in returned
    [termination] = _events(sessions, JEAN_PIERRE, "scheduled_termination")
    assert termination.line_id == 4 and termination.due_on == date(2026, 12, 1)
    assert termination.details["fees"] == "0.00" and termination.details["reason"] == "rétractation"
    [event] = _events(sessions, JEAN_PIERRE, "withdrawal")
    assert event.line_id == 4 and event.details["returns"] == [returned]
    assert done["facts"]["ref"] == {"event": event.id, "termination": termination.id}


def test_a_programmed_termination_is_brought_forward_not_doubled(acts: Acts, sessions: sessionmaker[Session]) -> None:
    _activate(sessions, 2, date(2026, 11, 25))  # Camille's fibre box
    acts().execute("register_termination", CAMILLE, {"line": "2", "termination_date": "2027-01-15"})
    acts().execute("register_withdrawal", CAMILLE, {"target": "line:2"})
    [termination] = _events(sessions, CAMILLE, "scheduled_termination")
    assert termination.due_on == date(2026, 12, 1) and termination.details["fees"] == "0.00"


def test_the_electronic_tag_line_is_not_cut_by_a_withdrawal(acts: Acts, sessions: sessionmaker[Session]) -> None:
    _activate(sessions, 6, date(2026, 11, 25))
    with pytest.raises(ActRefused, match="bracelet électronique"):
        acts().execute("register_withdrawal", KEVIN, {"target": "line:6"})
    assert _events(sessions, KEVIN, "withdrawal") == []
    assert _events(sessions, KEVIN, "scheduled_termination") == []
