"""One call end to end through the real stack: bridge → CRM → Rasa server → panel; chat → action server."""

import asyncio
import json
import subprocess
import sys
import time

import httpx
import pytest
import websockets
from sqlalchemy import text

from copilot_cli.simulate import simulate_call, ws_url
from crm_core.core.config import get_crm_settings
from crm_core.core.security import issue_token
from tests.conftest import RunningStack
from tests.factories import bridge_auth

pytestmark = pytest.mark.integration
BRIDGE = bridge_auth()


def test_all_components_are_healthy(stack: RunningStack) -> None:
    r = httpx.get(stack.url + "/health")
    assert r.status_code == 200, r.text
    assert r.json()["down"] == []


@pytest.mark.parametrize(
    ("reason", "journey"),
    [
        ("allô oui bonjour on part vivre à Toulouse en janvier et il faudrait transférer internet", "move"),
        ("ma connexion internet est coupée depuis hier soir la box clignote", "breakdown"),
        ("je conteste le montant de ma dernière facture il y a des frais bizarres", "billing_payment"),
        ("je veux résilier mon forfait je pars chez un concurrent", "terminate"),
        ("je cherche les horaires de la piscine municipale", "out_of_scope"),
    ],
)
def test_a_known_caller_pops_with_the_journey(stack: RunningStack, reason: str, journey: str) -> None:
    pop = asyncio.run(simulate_call(stack.url, "07 12 34 56 78", reason))
    assert pop["customer"]["id"] == 1 and pop["customer"]["identified"] is True
    assert pop["customer"]["display_name"] == "Mme Camille Martin"
    assert pop["nlu_status"] == "ok"
    assert pop["journey"] == journey
    assert 0 < pop["confidence"] <= 1 and pop["acts"]
    assert pop["latency_ms"] > 0


def test_an_unknown_caller_pops_unidentified_with_a_journey(stack: RunningStack) -> None:
    pop = asyncio.run(simulate_call(stack.url, "07 00 00 00 00", "ma box ne marche plus du tout"))
    assert pop["customer"] is None
    assert pop["journey"] == "breakdown"


def test_every_step_of_a_call_is_traced(stack: RunningStack) -> None:
    pop = asyncio.run(simulate_call(stack.url, "07 98 76 54 32", "je voudrais résilier ma box"))
    call_id = pop["call_id"]
    names: list[str] = []
    deadline = time.monotonic() + 10
    while "call.ended" not in names and time.monotonic() < deadline:  # the end is traced after its ack
        time.sleep(0.05)
        with stack.sessions() as s:
            names = [n for (n,) in s.execute(text("SELECT name FROM trace_events WHERE call_id=:c ORDER BY id"),
                                             {"c": call_id})]
    for step in ("call.offered", "call.answered", "customer.lookup", "customer.read", "nlu.predicted",
                 "screen_pop.sent", "call.ended"):
        assert step in names, names


def test_the_advisor_asks_the_copilot_and_the_action_answers_from_the_crm(stack: RunningStack) -> None:
    async def scenario() -> tuple[dict, dict]:
        pop = await simulate_call(stack.url, "07 12 34 56 78", "je veux résilier ma box", end=False)
        token = issue_token("n1.demo")  # the advisor the call is presented to
        async with websockets.connect(ws_url(stack.url, f"/ws/panel?token={token}")) as panel:
            assert json.loads(await panel.recv())["type"] == "hello"
            await panel.send(json.dumps({"type": "chat", "call_id": pop["call_id"],
                                         "text": "quelle est la date de fin d'engagement ?"}))
            while True:
                reply = json.loads(await asyncio.wait_for(panel.recv(), 30))
                if reply["type"] == "chat_reply":
                    return pop, reply

    pop, reply = asyncio.run(scenario())
    assert "error" not in reply, reply
    # Rasa's REST channel sends the text and the json_message as two messages.
    [said] = [m["text"] for m in reply["messages"] if m["text"]]
    [data] = [m["custom"] for m in reply["messages"] if m["custom"]]
    assert "09 72 12 34 56" in said and "01/09/2027" in said and "15/03/2026" in said
    assert data["kind"] == "act_done" and data["outcome"]["act"] == "check_commitment_end"
    assert {li["commitment_end"] for li in data["outcome"]["facts"]["lines"]} == {"2027-09-01", "2026-03-15"}
    with stack.sessions() as s:
        row = s.execute(text("SELECT actor, customer_id FROM trace_events WHERE name='act.done' "
                             "AND call_id=:c"), {"c": pop["call_id"]}).one()
    assert tuple(row) == ("n1.demo", 1)


def test_a_malformed_cti_event_gets_an_error_and_the_bridge_goes_on(stack: RunningStack) -> None:
    async def scenario() -> tuple[dict, dict]:
        async with websockets.connect(ws_url(stack.url, "/ws/bridge"), additional_headers=BRIDGE) as bridge:
            await bridge.send('{"call_id": "x", "event": "exploded"}')
            error = json.loads(await bridge.recv())
            await bridge.send(json.dumps({"call_id": "after-error", "event": "ended"}))
            return error, json.loads(await bridge.recv())

    error, ack = asyncio.run(scenario())
    assert error["type"] == "error" and "event" in error["detail"]
    # acknowledged (the adapter need not send it again), and said not applied: that call is not in progress
    assert ack == {"type": "ack", "call_id": "after-error", "event": "ended", "dropped": "ended"}


def test_copilot_call_simulate_prints_the_pop_as_json(stack: RunningStack) -> None:
    out = subprocess.run([sys.executable, "-m", "copilot_cli", "call", "simulate", "--from", "0755443322",
                          "--reason", "ma facture a doublé ce mois-ci", "--url", stack.url],
                         capture_output=True, text=True, timeout=60, check=True)
    pop = json.loads(out.stdout)
    assert set(pop) >= {"call_id", "customer", "journey", "confidence", "acts", "latency_ms"}
    assert pop["customer"]["first_name"] == "Sophie" and pop["journey"] == "billing_payment"


def test_with_rasa_down_the_pop_degrades_and_health_says_so(stack: RunningStack) -> None:
    rasa = stack.process("rasa")
    rasa.stop()
    try:
        r = httpx.get(stack.url + "/health")
        assert r.status_code == 503 and r.json()["down"] == ["rasa"]
        pop = asyncio.run(simulate_call(stack.url, "07 12 34 56 78", "je déménage"))
        assert pop["customer"]["id"] == 1
        assert (pop["journey"], pop["nlu_status"]) == (None, "unavailable")
    finally:
        rasa.start()
        stack.stack.wait_healthy(300)


def test_no_token_reaches_the_app_log(stack: RunningStack) -> None:
    asyncio.run(simulate_call(stack.url, "07 12 34 56 78", "je déménage"))
    log = stack.process("app").log_path.read_text()
    assert "WebSocket /ws/panel?token=***" in log
    assert "token=ey" not in log
    settings = get_crm_settings()
    for name in ("rasa_token", "bridge_token", "internal_secret"):  # nor any secret of ours, in any log
        for process in ("app", "rasa", "actions"):
            assert settings.secret(name) not in stack.process(process).log_path.read_text(), (name, process)
