"""Questions about the customer, answered from the 360° view: the field named, the read traced, the filter kept."""

from sqlalchemy.orm import Session, sessionmaker

from actions.questions import ActionAnswerQuestion
from tests.actions.conftest import run
from tests.conftest import count_rows


def test_the_answer_names_the_field_and_its_block(crm: sessionmaker[Session]) -> None:
    [message], _ = run(ActionAnswerQuestion(), "il doit combien ?", "copilot_balance", customer_id=2)
    assert message["text"] == "Solde du compte (360° › Facturation) : 58,40 € dû"
    assert message["custom"]["fields"][0]["name"] == "balance"
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='customer.read' AND call_id='call-42' "
                      "AND customer_id=2") == 1


def test_the_equipment_and_the_order_questions(crm: sessionmaker[Session]) -> None:
    [box], _ = run(ActionAnswerQuestion(), "elle a quoi comme box ?", "copilot_equipment")
    assert box["text"].startswith("Matériel acheté, loué ou prêté (360° › Équipements) : Box Fibre 2G")
    [order], _ = run(ActionAnswerQuestion(), "sa commande en est où ?", "copilot_order_status")
    assert "WEB-2611-0042" in order["text"] and "EN RETARD : Préparation en entrepôt prévu le 24/11/2026" in \
        order["text"]


def test_a_field_the_profile_may_not_see_is_refused_not_answered(crm: sessionmaker[Session]) -> None:
    [message], _ = run(ActionAnswerQuestion(), "il paie comment ?", "copilot_payment_method", advisor="n2.demo")
    assert "n'est pas habilité à voir" in message["text"] and "FR76" not in message["text"]
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='customer.read'") == 0


def test_no_customer_on_the_call(crm: sessionmaker[Session]) -> None:
    [message], _ = run(ActionAnswerQuestion(), "il doit combien ?", "copilot_balance", customer_id=None)
    assert "Aucun client" in message["text"]
