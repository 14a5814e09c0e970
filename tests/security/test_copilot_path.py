"""The attacks of issue 9 on the copilot's path, replayed against the real stack (Rasa server, action
server, app) as a process on the same host would: each must be refused and read nothing."""

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import text

from copilot_cli.simulate import simulate_call, ws_url
from crm_core.core.config import get_crm_settings
from crm_core.core.security import issue_token
from nlu.assertion import make_assertion, model_signature, reason_signature
from tests.conftest import RunningStack
from tests.factories import bridge_auth

pytestmark = pytest.mark.integration

QUESTION = "quelle est la date de fin d'engagement ?"
# What customer 2 (M. Lefèvre) or customer 1 (Mme Martin) would give away in an answer
CUSTOMER_DATA = ("Lefèvre", "98 76 54 32", "98 44 55 66", "sans engagement", "engag", "09 72 12 34 56", "01/09/2027")


def _no_customer_data(body: str) -> None:
    for canary in CUSTOMER_DATA:
        assert canary not in body, canary


def _traces(stack: RunningStack, name: str) -> int:
    with stack.sessions() as s:
        return int(s.execute(text("SELECT count(*) FROM trace_events WHERE name=:n"), {"n": name}).scalar_one())


def _wait_traces(stack: RunningStack, name: str, at_least: int) -> int:
    deadline = time.monotonic() + 10
    while (n := _traces(stack, name)) < at_least and time.monotonic() < deadline:
        time.sleep(0.1)
    return n


async def _drain(panel: websockets.ClientConnection, quiet_s: float = 1.0) -> list[dict]:
    """Every frame a panel gets until it has been quiet for ``quiet_s``."""
    seen: list[dict] = []
    try:
        while True:
            seen.append(json.loads(await asyncio.wait_for(panel.recv(), quiet_s)))
    except TimeoutError:
        return seen


def _open_call(stack: RunningStack, caller: str = "07 12 34 56 78") -> dict:
    return asyncio.run(simulate_call(stack.url, caller, "je veux résilier ma box", end=False))


def test_rasa_plain_rest_channel_is_not_there(stack: RunningStack) -> None:
    """The attack: POST /webhooks/rest/webhook with an advisor and a customer in plain metadata."""
    r = httpx.post(f"{stack.stack.config.rasa_url}/webhooks/rest/webhook",
                   json={"sender": "x", "message": QUESTION, "metadata": {"advisor": "sup.demo", "customer_id": 2}})
    assert r.status_code == 404
    _no_customer_data(r.text)


@pytest.mark.parametrize("metadata", [
    {"advisor": "sup.demo", "customer_id": 2},
    {"assertion": "not.a.jwt"},
    {"assertion": make_assertion("an-attacker-guessed-this-secret-0123456789", advisor="sup.demo", call_id="x",
                                 customer_id=2, text=QUESTION)},
])
def test_the_copilot_channel_refuses_what_the_copilot_did_not_sign(stack: RunningStack, metadata: dict) -> None:
    r = httpx.post(f"{stack.stack.config.rasa_url}/webhooks/copilot/webhook",
                   json={"sender": "x", "message": QUESTION, "metadata": metadata})
    assert r.status_code == 401
    _no_customer_data(r.text)


def test_a_real_assertion_replayed_on_another_message_or_call_is_refused(stack: RunningStack) -> None:
    secret = get_crm_settings().secret("internal_secret")
    genuine = make_assertion(secret, advisor="n1.demo", call_id="call-a", customer_id=1, text="bonjour")
    for sender, message in (("call-a", QUESTION), ("call-b", "bonjour")):
        r = httpx.post(f"{stack.stack.config.rasa_url}/webhooks/copilot/webhook",
                       json={"sender": sender, "message": message, "metadata": {"assertion": genuine}})
        assert r.status_code == 401, (sender, message)
    assert "refused" in (stack.stack.config.logs / "rasa.log").read_text()  # and it is logged


def test_the_action_server_reads_nothing_for_a_forged_tracker(stack: RunningStack) -> None:
    before = _traces(stack, "security.assertion_rejected")
    tracker = {"sender_id": "x", "slots": {}, "events": [], "paused": False, "followup_action": None,
               "active_loop": {}, "latest_action_name": "action_listen",
               "latest_message": {"text": QUESTION, "metadata": {"advisor": "sup.demo", "customer_id": 2},
                                  "intent": {"name": "copilot_commitment_end", "confidence": 1.0}, "entities": []}}
    r = httpx.post(f"{stack.stack.config.actions_url}/webhook",
                   json={"next_action": "action_prepare_act", "sender_id": "x", "tracker": tracker,
                         "domain": {}, "version": "3.6.21"})
    assert r.status_code == 200
    [response] = r.json()["responses"]
    assert response["text"].startswith("Demande refusée")
    _no_customer_data(r.text)
    assert _wait_traces(stack, "security.assertion_rejected", before + 1) == before + 1


@pytest.mark.parametrize("path", ["/conversations/{call}/tracker", "/status", "/domain"])
def test_rasa_http_api_needs_the_token(stack: RunningStack, path: str) -> None:
    call = _open_call(stack)["call_id"]
    url = stack.stack.config.rasa_url + path.format(call=call)
    for params in ({}, {"token": "wrong"}):
        assert httpx.get(url, params=params).status_code == 401
    r = httpx.post(stack.stack.config.rasa_url + "/model/parse", json={"text": QUESTION})
    assert r.status_code == 401


def test_a_calls_conversation_is_read_through_the_copilot_by_its_advisor_only(stack: RunningStack) -> None:
    async def chat(call_id: str) -> None:
        async with websockets.connect(ws_url(stack.url, f"/ws/panel?token={issue_token('n1.demo')}")) as panel:
            await panel.recv()
            await panel.send(json.dumps({"type": "chat", "call_id": call_id, "text": QUESTION}))
            while json.loads(await asyncio.wait_for(panel.recv(), 30))["type"] != "chat_reply":
                pass

    call = _open_call(stack)["call_id"]
    asyncio.run(chat(call))
    mine = httpx.get(f"{stack.url}/api/calls/{call}/conversation",
                     headers={"Authorization": f"Bearer {issue_token('n1.demo')}"})
    assert mine.status_code == 200
    said = mine.json()
    assert said[0] == {"at": said[0]["at"], "sender": "advisor", "text": QUESTION}
    assert any("01/09/2027" in (s["text"] or "") for s in said if s["sender"] == "copilot")
    for intruder in ("n1.grenoble", "n2.demo", "trainer.demo"):
        r = httpx.get(f"{stack.url}/api/calls/{call}/conversation",
                      headers={"Authorization": f"Bearer {issue_token(intruder)}"})
        assert r.status_code == 403, intruder
        _no_customer_data(r.text)


def _listening(port: int) -> set[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_rasa_and_the_action_server_listen_on_loopback_only(stack: RunningStack) -> None:
    for url in (stack.stack.config.rasa_url, stack.stack.config.actions_url):
        port = int(url.rsplit(":", 1)[1])
        assert _listening(port) == {"0100007F"}, (url, _listening(port))  # 127.0.0.1 and nothing else


def test_the_bridge_refuses_an_adapter_without_its_token(stack: RunningStack) -> None:
    """The attack: a fake offered + answered that pops a real customer on an advisor's panel."""
    async def scenario() -> tuple[dict, list[dict]]:
        seen: list[dict] = []
        async with websockets.connect(ws_url(stack.url, f"/ws/panel?token={issue_token('n1.demo')}")) as panel:
            await panel.recv()
            async with websockets.connect(ws_url(stack.url, "/ws/bridge")) as bridge:
                refusal = json.loads(await bridge.recv())
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    for event in ("offered", "answered"):
                        await bridge.send(json.dumps({"call_id": "fake-1", "event": event, "agent": "n1.demo",
                                                      "caller_number": "07 98 76 54 32"}))
                        await bridge.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
            seen += await _drain(panel)
        return refusal, seen

    refusal, seen = asyncio.run(scenario())
    assert refusal == {"type": "error", "detail": "bridge token missing or wrong"}
    assert not [m for m in seen if m.get("call_id") == "fake-1"]


def test_an_answered_with_another_agent_does_not_move_a_live_call(stack: RunningStack) -> None:
    async def scenario(call_id: str) -> tuple[dict, list[dict]]:
        seen: list[dict] = []
        async with websockets.connect(ws_url(stack.url, f"/ws/panel?token={issue_token('n1.grenoble')}")) as panel:
            await panel.recv()
            async with websockets.connect(ws_url(stack.url, "/ws/bridge"), additional_headers=bridge_auth()) as bridge:
                await bridge.send(json.dumps({"call_id": call_id, "event": "answered", "agent": "n1.grenoble"}))
                refusal = json.loads(await bridge.recv())
            seen += await _drain(panel)
        return refusal, seen

    call = _open_call(stack)["call_id"]
    refusal, seen = asyncio.run(scenario(call))
    assert refusal["type"] == "error" and "transfer" in refusal["detail"]
    assert not [m for m in seen if m.get("call_id") == call]


def test_a_call_reason_is_parsed_by_the_channel_only_when_signed_and_without_the_chat_classifiers(
        stack: RunningStack) -> None:
    url = f"{stack.stack.config.rasa_url}/webhooks/copilot/parse"
    reason = "bonjour je déménage à Lille le mois prochain et je voudrais garder ma box"
    secret = get_crm_settings().secret("internal_secret")
    signed = httpx.post(url, json={"text": reason}, headers={"X-Copilot-Signature": reason_signature(secret, reason)},
                        timeout=30)
    assert signed.status_code == 200, signed.text
    parse = signed.json()
    assert parse["chat_ranking"] == [] and parse["chat_probability"] == 0.0  # not run on a call reason
    plain = httpx.post(f"{stack.stack.config.rasa_url}/model/parse",
                       params={"token": get_crm_settings().secret("rasa_token")}, json={"text": reason}, timeout=30)
    assert plain.json()["chat_ranking"], "the advisor-chat classifiers do run on Rasa's own parse"
    assert parse["intent_ranking"] == plain.json()["intent_ranking"]  # the same journeys either way
    for headers in ({}, {"X-Copilot-Signature": reason_signature(secret, "autre chose")},
                    {"X-Copilot-Signature": reason_signature("x" * 40, reason)}):
        assert httpx.post(url, json={"text": reason}, headers=headers, timeout=30).status_code == 401


def test_loading_a_model_into_rasa_needs_a_fresh_signed_order_for_an_archive_of_the_registry(
        stack: RunningStack, tmp_path: Path) -> None:
    """The trainer's publication door (``/webhooks/copilot/model``): unsigned, forged, replayed-late or outside the
    registry, the order is refused and the running model stays the same."""
    url = f"{stack.stack.config.rasa_url}/webhooks/copilot/model"
    secret = get_crm_settings().secret("internal_secret")
    status_url = f"{stack.stack.config.rasa_url}/status"
    token = {"token": get_crm_settings().secret("rasa_token")}
    before = httpx.get(status_url, params=token, timeout=10).json()["model_id"]
    registry = Path(stack.stack.config.extra_env["COPILOT_MODELS_DIR"])
    served = str((registry / "serving.tar.gz").resolve())
    outside = tmp_path / "model.tar.gz"
    outside.write_bytes((registry / "serving.tar.gz").read_bytes())
    now = int(time.time())
    orders = [
        ({"path": served, "issued_at": now}, {}, 401),  # unsigned
        ({"path": served, "issued_at": now}, {"X-Copilot-Signature": model_signature("x" * 40, served, now)}, 401),
        ({"path": served, "issued_at": now - 600}, {"X-Copilot-Signature": model_signature(secret, served, now - 600)},
         401),  # too old to be replayed
        ({"path": str(outside), "issued_at": now}, {"X-Copilot-Signature": model_signature(secret, str(outside), now)},
         400),  # not an archive of the registry
        ({"path": "../../etc/passwd", "issued_at": now}, {"X-Copilot-Signature": model_signature(secret,
                                                                                                "../../etc/passwd",
                                                                                                now)}, 400),
        ({"path": 5}, {}, 400),
    ]
    for body, headers, status in orders:
        r = httpx.post(url, json=body, headers=headers, timeout=30)
        assert r.status_code == status, (body, r.text)
    broken = registry / "broken.tar.gz"
    broken.write_bytes(b"not a model")
    try:
        r = httpx.post(url, json={"path": str(broken), "issued_at": now},
                       headers={"X-Copilot-Signature": model_signature(secret, str(broken), now)}, timeout=30)
        assert r.status_code == 422  # a broken archive: refused, the running model stays
    finally:
        broken.unlink()
    assert httpx.get(status_url, params=token, timeout=10).json()["model_id"] == before
