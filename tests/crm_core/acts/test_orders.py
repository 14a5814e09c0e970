"""Web orders from the call: steps and delays, delivery moved to a shop, cancellation; refusals write nothing."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.base import ActRefused
from crm_core.acts.orders import late_steps
from crm_core.models import Interaction, Order, OrderStep
from tests.crm_core.acts.conftest import Acts, traces

CAMILLE, SOPHIE = 1, 3
CAMILLE_ORDER, SOPHIE_ORDER = "1", "2"


def _steps(sessions: sessionmaker[Session], order_id: int) -> list[tuple[str, str, date | None]]:
    with sessions() as s:
        return [(st.label, st.status, st.expected_on) for st in s.scalars(
            select(OrderStep).where(OrderStep.order_id == order_id).order_by(OrderStep.position))]


def _interactions(sessions: sessionmaker[Session], customer_id: int) -> list[Interaction]:
    with sessions() as s:
        return list(s.scalars(select(Interaction).where(Interaction.customer_id == customer_id,
                                                        Interaction.channel == "phone", Interaction.kind == "contact")))


def test_late_steps_are_the_pending_ones_past_their_date(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        order = s.get(Order, 1)
        assert [st.label for st in late_steps(order, date(2026, 12, 1))] == [
            "Préparation en entrepôt", "Livraison en boutique Lyon Part-Dieu"]
        assert [st.label for st in late_steps(order, date(2026, 11, 25))] == ["Préparation en entrepôt"]
        assert late_steps(order, date(2026, 11, 24)) == []  # due that day: not late yet
        order.steps[2].status = "done"
        assert [st.label for st in late_steps(order, date(2026, 11, 25))] == []


def test_follow_flags_late_steps_and_the_step_due_today(acts: Acts) -> None:
    out = acts().preview("follow_order", CAMILLE, {"order": CAMILLE_ORDER})
    assert out["facts"]["late"] == ["Préparation en entrepôt", "Livraison en boutique Lyon Part-Dieu"]
    assert "WEB-2611-0042" in out["summary"] and "2 étape(s) en retard" in out["summary"]
    shown = {d["label"]: d["value"] for d in out["details"]}
    assert shown["Commande validée"] == "faite le 20/11/2026"
    assert shown["Préparation en entrepôt"] == "EN RETARD : prévue le 24/11/2026 (7 jours de retard)"
    assert any("Préparation en entrepôt, prévue le 24/11/2026" in w for w in out["warnings"])

    out = acts().preview("follow_order", SOPHIE, {"order": SOPHIE_ORDER})
    assert out["facts"]["late"] == [] and out["facts"]["due_today"] == ["Rendez-vous technicien"]
    shown = {d["label"]: d["value"] for d in out["details"]}
    assert shown["Rendez-vous technicien"] == "prévue aujourd'hui"
    assert shown["Activation de la ligne"] == "prévue le 02/12/2026"


def test_the_form_lists_the_customers_orders_and_shops_nearby_first(acts: Acts) -> None:
    form = acts().open("change_order_delivery", CAMILLE)
    params = {p["name"]: p for p in form["params"]}
    assert params["order"]["value"] == CAMILLE_ORDER  # her one order in progress
    assert [c["value"] for c in params["order"]["choices"]] == [CAMILLE_ORDER]  # not Sophie's
    shops = [c["value"] for c in params["shop"]["choices"]]
    assert shops[:2] == ["LYON-PARTDIEU", "LYON-BELLECOUR"] and "BREST-SIAM" in shops
    with pytest.raises(Exception, match="choix impossible"):
        acts().preview("follow_order", CAMILLE, {"order": SOPHIE_ORDER})


def test_delivery_moved_to_a_shop(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    params = {"order": CAMILLE_ORDER, "shop": "LYON-BELLECOUR"}
    preview = service.preview("change_order_delivery", CAMILLE, params)
    assert preview["changes"] == [{"field": "orders", "label": "Commande WEB-2611-0042 — livraison",
                                   "before": "Livraison en boutique Lyon Part-Dieu (27/11/2026)",
                                   "after": "Livraison en boutique Lyon Bellecour (04/12/2026)"}]
    assert any("Préparation en entrepôt" in w for w in preview["warnings"])  # still late, said
    assert _steps(sessions, 1)[3][0] == "Livraison en boutique Lyon Part-Dieu"  # a preview writes nothing

    done = service.execute("change_order_delivery", CAMILLE, params, version=preview["version"])
    assert done["version"] > preview["version"]
    assert _steps(sessions, 1)[3] == ("Livraison en boutique Lyon Bellecour", "pending", date(2026, 12, 4))
    [interaction] = _interactions(sessions, CAMILLE)
    assert interaction.topic == "general" and "Lyon Bellecour" in interaction.summary
    assert done["facts"]["ref"]["interaction"] == interaction.id

    with pytest.raises(ActRefused, match="déjà livrée en boutique Lyon Bellecour"):
        service.execute("change_order_delivery", CAMILLE, params)
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "change_order_delivery"


def test_an_order_without_delivery_step_cannot_go_to_a_shop(acts: Acts, sessions: sessionmaker[Session]) -> None:
    before = _steps(sessions, 2)
    with pytest.raises(ActRefused, match="pas d'étape de livraison"):
        acts().execute("change_order_delivery", SOPHIE, {"order": SOPHIE_ORDER, "shop": "PARIS-VILLETTE"})
    assert _steps(sessions, 2) == before
    assert _interactions(sessions, SOPHIE) == []
    assert traces(sessions, "act.refused")[0]["stage"] == "execute"


def test_cancel_stops_pending_steps_and_records_the_call(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    done = service.execute("cancel_order", CAMILLE, {"order": CAMILLE_ORDER, "reason": "trouvé moins cher"})
    assert done["changes"][0]["before"] == "en cours" and done["changes"][0]["after"] == "annulée"
    assert done["facts"]["stopped_steps"] == ["Préparation en entrepôt", "Livraison en boutique Lyon Part-Dieu"]
    with sessions() as s:
        assert s.get(Order, 1).status == "cancelled"
    assert [status for _, status, _ in _steps(sessions, 1)] == ["done", "done", "cancelled", "cancelled"]
    [interaction] = _interactions(sessions, CAMILLE)
    assert "WEB-2611-0042 annulée" in interaction.summary and "trouvé moins cher" in interaction.summary
    assert interaction.topic == "general" and interaction.advisor_login == "n1.demo"

    with pytest.raises(ActRefused, match="est annulée"):
        service.execute("cancel_order", CAMILLE, {"order": CAMILLE_ORDER})
    with pytest.raises(ActRefused, match="est annulée"):
        service.execute("change_order_delivery", CAMILLE, {"order": CAMILLE_ORDER, "shop": "LYON-BELLECOUR"})
    assert len(_interactions(sessions, CAMILLE)) == 1
    out = service.preview("follow_order", CAMILLE, {"order": CAMILLE_ORDER})
    assert out["facts"]["late"] == [] and "annulée" in out["summary"]  # no late alert on a cancelled order


def test_a_delivered_order_is_not_cancelled(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        s.get(Order, 2).status = "delivered"
    with pytest.raises(ActRefused, match="déjà livrée.*rétractation"):
        acts().execute("cancel_order", SOPHIE, {"order": SOPHIE_ORDER})
    with sessions() as s:
        assert s.get(Order, 2).status == "delivered"
    assert _interactions(sessions, SOPHIE) == []
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "cancel_order" and "déjà livrée" in refusal["reason"]
