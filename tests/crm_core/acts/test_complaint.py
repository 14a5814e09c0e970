"""Journey "complaint": review, open, escalate; gestures within the profile's and the customer's ceilings,
recurring reasons ending the complaint, opportunist customers escalated (Kévin: 15 € + 20 € for roaming)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.base import ActRefused
from crm_core.acts.catalogue import ACT_GESTURE
from crm_core.acts.complaint import GestureHistory
from crm_core.acts.service import ActService
from crm_core.models import CommercialGesture, CustomerEvent
from crm_core.services.actor import Actor
from crm_core.services.habilitations import PROFILES
from tests.crm_core.acts.conftest import Acts, traces

CAMILLE, KEVIN = 1, 4
ROAMING = "Frais de Roaming contestes"  # Kévin's reason, typed with another case and no accent


def _gestures(sessions: sessionmaker[Session], customer_id: int) -> list[tuple[Decimal, str, str]]:
    with sessions() as s:
        return [(g.amount, g.reason, g.advisor_login) for g in s.scalars(
            select(CommercialGesture).where(CommercialGesture.customer_id == customer_id)
            .order_by(CommercialGesture.id))]


def _events(sessions: sessionmaker[Session], customer_id: int) -> list[CustomerEvent]:
    with sessions() as s:
        return list(s.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == customer_id)
                              .order_by(CustomerEvent.id)))


# -- review_complaints ----------------------------------------------------------------------------------------
def test_kevin_s_review_shows_his_complaint_gestures_and_recurring_reason(acts: Acts) -> None:
    out = acts().preview("review_complaints", KEVIN, {})
    facts = out["facts"]
    assert [e["summary"] for e in facts["open"]] == ["Conteste des frais de roaming facturés en octobre"]
    assert facts["past"] == []
    assert [g["amount"] for g in facts["gestures"]] == ["15.00", "20.00"]  # 02/06/2026 and 09/12/2025
    assert facts["gestures_count"] == 2 and facts["gestures_total"] == "35.00"
    assert facts["recurring_reasons"] == [{"reason": "frais de roaming contestés", "count": 2}]
    assert facts["opportunist"] is False  # 2 gestures, 35 €: under 3 gestures and 50 €
    assert any("Motif récurrent" in w for w in out["warnings"])


def test_a_gesture_older_than_twelve_months_is_not_counted(acts: Acts, sessions) -> None:
    with sessions.begin() as s:
        s.add(CommercialGesture(customer_id=CAMILLE, granted_on=date(2025, 11, 30), amount=Decimal("25.00"),
                                reason="coupures wifi répétées", advisor_login="n1.demo"))
    facts = acts().preview("review_complaints", CAMILLE, {})["facts"]
    assert facts["gestures_total"] == "10.00" and facts["recurring_reasons"] == []
    assert facts["open"] == [] and facts["past"] == []


def test_the_opportunist_rule_counts_gestures_or_their_total() -> None:
    def history(*amounts: str) -> GestureHistory:
        return GestureHistory([CommercialGesture(amount=Decimal(a), reason="x") for a in amounts])

    assert not history("15", "20").opportunist()
    assert history("5", "5", "5").opportunist()  # three gestures
    assert history("20", "30").opportunist()  # 50 € in all
    assert not history("20", "29.99").opportunist()


# -- open_complaint -------------------------------------------------------------------------------------------
def test_a_complaint_is_opened_once(acts: Acts, sessions) -> None:
    summary = "Débit internet divisé par deux depuis le 20/11"
    done = acts().execute("open_complaint", CAMILLE, {"summary": summary})
    [event] = _events(sessions, CAMILLE)
    assert (event.kind, event.status, event.summary) == ("complaint", "open", summary)
    assert event.opened_on == date(2026, 12, 1) and event.due_on == date(2026, 12, 31)
    assert done["facts"]["ref"] == {"event": event.id}
    with pytest.raises(ActRefused, match="identique est déjà ouverte depuis le 01/12/2026"):
        acts().execute("open_complaint", CAMILLE, {"summary": "débit  INTERNET divise par deux depuis le 20/11"})
    assert len(_events(sessions, CAMILLE)) == 1
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "open_complaint" and refusal["customer_id"] == CAMILLE


def test_another_open_complaint_is_pointed_out(acts: Acts, sessions) -> None:
    with pytest.raises(ActRefused, match="identique"):
        acts().preview("open_complaint", KEVIN, {"summary": "Conteste des frais de roaming facturés en octobre"})
    out = acts().preview("open_complaint", KEVIN, {"summary": "Facture de novembre reçue en double"})
    assert any("Une autre réclamation est en cours" in w and "roaming" in w for w in out["warnings"])
    assert len(_events(sessions, KEVIN)) == 1  # a preview writes nothing


# -- escalate_complaint ---------------------------------------------------------------------------------------
def test_the_open_complaint_is_escalated_once(acts: Acts, sessions) -> None:
    [complaint] = _events(sessions, KEVIN)
    done = acts().execute("escalate_complaint", KEVIN, {"note": "Le client conteste pour la troisième fois"})
    assert done["changes"] == [{"field": "ongoing_events", "label": "Réclamation du 10/11/2026",
                                "before": "en cours", "after": "escaladée"}]
    events = _events(sessions, KEVIN)
    escalation = next(e for e in events if e.kind == "escalation")
    assert escalation.details["complaint_id"] == complaint.id and escalation.status == "open"
    assert escalation.due_on == date(2026, 12, 3) and escalation.details["by"] == "n1.demo"
    assert next(e for e in events if e.id == complaint.id).details["escalation_id"] == escalation.id
    with pytest.raises(ActRefused, match="déjà escaladée depuis le 01/12/2026"):
        acts().execute("escalate_complaint", KEVIN, {"note": "encore"})
    assert len(_events(sessions, KEVIN)) == 2


def test_no_escalation_without_an_open_complaint(acts: Acts, sessions) -> None:
    with pytest.raises(ActRefused, match="Aucune réclamation en cours"):
        acts().execute("escalate_complaint", CAMILLE, {"note": "Client très mécontent"})
    assert _events(sessions, CAMILLE) == []
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "escalate_complaint" and "Ouvrir une réclamation" in refusal["reason"]


# -- grant_gesture --------------------------------------------------------------------------------------------
def test_the_profile_and_customer_ceilings_refuse_too_much(acts: Acts, sessions) -> None:
    with pytest.raises(ActRefused, match="ne peut pas dépasser 30,00 €") as refused:
        acts().execute("grant_gesture", KEVIN, {"amount": "31", "reason": "retard de livraison"})
    assert refused.value.field == "amount"
    # 35 € already granted over 12 months, 60 € at most for level 1: 25 € left
    with pytest.raises(ActRefused, match="déjà reçu 35,00 € .* 25,00 € au plus"):
        acts().execute("grant_gesture", KEVIN, {"amount": "25.01", "reason": "retard de livraison"})
    assert len(_gestures(sessions, KEVIN)) == 2
    assert [r["act"] for r in traces(sessions, "act.refused")] == ["grant_gesture", "grant_gesture"]
    assert acts().preview("grant_gesture", KEVIN, {"amount": "25", "reason": "retard de livraison"})["status"] \
        == "preview"


def test_a_recurring_reason_is_warned_and_ends_the_complaint_for_good(acts: Acts, sessions) -> None:
    done = acts().execute("grant_gesture", KEVIN, {"amount": "10,00", "reason": ROAMING})
    assert any("Motif récurrent, déjà compensé 2 fois" in w for w in done["warnings"])
    assert any("sera signalé opportuniste" in w for w in done["warnings"])  # its third gesture
    assert _gestures(sessions, KEVIN)[-1] == (Decimal("10.00"), ROAMING, "n1.demo")
    [complaint] = _events(sessions, KEVIN)
    assert complaint.status == "closed" and complaint.details["final"] is True
    assert complaint.details["gesture_id"] == done["facts"]["ref"]["gesture"]
    assert done["facts"]["ref"]["closed_complaint"] == complaint.id


def test_a_new_reason_is_granted_without_closing_the_complaint(acts: Acts, sessions) -> None:
    done = acts().execute("grant_gesture", KEVIN, {"amount": "5", "reason": "appel coupé"})
    assert done["facts"]["recurring"] is False and not any("récurrent" in w for w in done["warnings"])
    assert [e.status for e in _events(sessions, KEVIN)] == ["open"]
    assert len(_gestures(sessions, KEVIN)) == 3


def test_an_opportunist_customer_is_escalated_not_granted_at_level_1(acts: Acts, sessions) -> None:
    acts().execute("grant_gesture", KEVIN, {"amount": "10", "reason": ROAMING})  # third gesture: opportunist
    with pytest.raises(ActRefused, match="opportuniste .*3 geste\\(s\\) pour 45,00 €.*Escaladez la réclamation"):
        acts().execute("grant_gesture", KEVIN, {"amount": "5", "reason": "appel coupé"})
    assert len(_gestures(sessions, KEVIN)) == 3
    done = acts("supervisor").execute("grant_gesture", KEVIN, {"amount": "5", "reason": "appel coupé"})
    assert any("geste accordé par décision du superviseur" in w for w in done["warnings"])
    assert _gestures(sessions, KEVIN)[-1] == (Decimal("5.00"), "appel coupé", "supervisor.test")


def test_a_profile_without_a_ceiling_grants_nothing(sessions) -> None:
    actor = Actor("avsc.test", "fleet_avsc", permissions=PROFILES["fleet_avsc"][1] | {ACT_GESTURE})
    with pytest.raises(ActRefused, match="ne peut accorder aucun geste"):
        ActService(sessions, actor).execute("grant_gesture", CAMILLE, {"amount": "5", "reason": "attente"})
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CommercialGesture)) == 3  # the seeded ones
