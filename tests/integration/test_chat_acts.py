"""The advisor chat on the real stack (Rasa server, action server, app), driven as scripts do it:
`copilot call simulate --keep-open` then `copilot call say --call … --as …`. Questions are answered from the
360° view, an order is previewed and written only after « oui », « non » writes nothing, another advisor is
refused."""

import json
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text

from tests.conftest import RunningStack

pytestmark = pytest.mark.integration

NEW_IBAN = "FR7630004000031234567890143"


def _cli(stack: RunningStack, *args: str) -> tuple[int, dict]:
    run = subprocess.run([sys.executable, "-m", "copilot_cli", "call", *args, "--url", stack.url],
                         capture_output=True, text=True, timeout=120)
    assert run.stdout.strip(), run.stderr[-2000:]
    return run.returncode, json.loads(run.stdout.strip().splitlines()[-1])


def _open_call(stack: RunningStack, number: str, reason: str, agent: str) -> str:
    call_id = f"say-{uuid.uuid4().hex[:8]}"
    code, pop = _cli(stack, "simulate", "--from", number, "--reason", reason, "--agent", agent, "--keep-open",
                     "--call-id", call_id)
    assert code == 0 and pop["call_id"] == call_id and pop["customer"] is not None, pop
    return call_id


def _said(reply: dict) -> str:
    return "\n".join(m["text"] for m in reply["messages"] if m.get("text"))


def test_a_question_is_answered_from_the_360_naming_its_field(stack: RunningStack) -> None:
    call = _open_call(stack, "07 98 76 54 32", "j'ai reçu une lettre de relance", "collection.demo")
    code, reply = _cli(stack, "say", "--call", call, "--as", "collection.demo", "il doit combien en ce moment ?")
    assert code == 0, reply
    assert "Solde du compte (360° › Facturation) : 58,40 € dû" in _said(reply)


def test_an_order_is_previewed_then_non_writes_nothing_and_oui_writes(stack: RunningStack) -> None:
    call = _open_call(stack, "07 11 22 33 44", "je change de banque pour mon prélèvement", "n1.grenoble")

    def methods() -> int:
        with stack.sessions() as s:
            return s.execute(text("SELECT count(*) FROM payment_methods pm JOIN accounts a ON a.id = pm.account_id "
                                  "WHERE a.customer_id = 4 AND pm.iban = :i"), {"i": NEW_IBAN}).scalar_one()

    order = f"passe-le en prélèvement sur {NEW_IBAN}"
    code, preview = _cli(stack, "say", "--call", call, "--as", "n1.grenoble", order)
    assert code == 0 and _said(preview).endswith("Je confirme ?"), preview
    assert "FR76 •••• •••• 0143" in _said(preview) and NEW_IBAN not in json.dumps(preview["messages"])
    _, dropped = _cli(stack, "say", "--call", call, "--as", "n1.grenoble", "non")
    assert "rien modifié" in _said(dropped) and methods() == 0

    _cli(stack, "say", "--call", call, "--as", "n1.grenoble", order)
    _, done = _cli(stack, "say", "--call", call, "--as", "n1.grenoble", "oui")
    assert _said(done).startswith("C'est fait."), done
    assert methods() == 1
    with stack.sessions() as s:
        traced = s.execute(text("SELECT actor FROM trace_events WHERE name='act.done' AND call_id=:c"),
                           {"c": call}).scalars().all()
    assert traced == ["n1.grenoble"]


def test_another_advisor_cannot_talk_into_the_call(stack: RunningStack) -> None:
    call = _open_call(stack, "07 12 34 56 78", "ma box ne marche plus", "n1.demo")
    code, reply = _cli(stack, "say", "--call", call, "--as", "n2.demo", "il doit combien ?")
    assert code == 1 and reply["error"] == "Cet appel ne vous est pas attribué : action refusée."
    assert reply["messages"] == []


@pytest.mark.parametrize("message", ["what is the weather like in Paris tomorrow?", "x" * 2000, "   ?!   "])
def test_odd_messages_get_an_answer_and_write_nothing(stack: RunningStack, message: str) -> None:
    call = _open_call(stack, "07 12 34 56 78", "ma box ne marche plus", "n1.demo")
    with stack.sessions() as s:
        before = s.execute(text("SELECT count(*) FROM trace_events WHERE name = 'act.done'")).scalar_one()
    code, reply = _cli(stack, "say", "--call", call, "--as", "n1.demo", message)
    assert code == 0 and _said(reply), reply  # a French answer (what it understood, or what it can do)
    with stack.sessions() as s:
        assert s.execute(text("SELECT count(*) FROM trace_events WHERE name = 'act.done'")).scalar_one() == before
