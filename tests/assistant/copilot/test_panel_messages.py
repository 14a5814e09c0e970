"""The panel websocket's protocol, both ways: what a panel may send is validated; every frame the app sends
(driven in-process, and the copilot's chat replies built by the actions) is an outbound message of the model
and of the documented schema; the documented schemas are what ``copilot panel schema`` writes."""

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

import actions.crm
from actions.acts import ActionAskActAnswer, ActionConfirmAct, ActionPrepareAct
from actions.journeys import ActionJourneyActs
from actions.questions import ActionAnswerQuestion
from assistant.copilot.nlu_client import JourneyPrediction, NluUnavailable, prediction_from_parse
from assistant.copilot.panel_messages import (
    OUTBOUND,
    AttachCustomer,
    Chat,
    InvalidFrame,
    Outbound,
    Renew,
    json_schema,
    parse_inbound,
)
from copilot_cli.main import app as cli
from crm_core.core.security import issue_token
from crm_core.services import permission_filter
from tests.actions.conftest import run
from tests.factories import app_without_rasa, auth, bridge_auth, present_call

SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "schemas"
OUTBOUND_TYPES = {"hello", "renewed", "session_expired", "error", "screen_pop", "call_update", "call_unassigned",
                  "chat_reply", "transfer_offered", "transfer_update"}
CAMILLE = "07 12 34 56 78"  # customer 1's mobile line
IBAN = "FR1420041010050500013M02606"


@pytest.mark.parametrize("side", ["inbound", "outbound"])
def test_the_documented_schemas_are_what_the_command_writes(side: str, tmp_path: Path) -> None:
    written = tmp_path / "schema.json"
    result = CliRunner().invoke(cli, ["panel", "schema", "--side", side, "--write", str(written)])
    assert result.exit_code == 0, result.output
    documented = SCHEMAS / f"panel-{side}.schema.json"
    assert documented.read_text() == written.read_text(), \
        f"regenerate it: copilot panel schema --side {side} --write {documented}"
    assert json.loads(documented.read_text()) == json_schema(side)  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "kind"), [
    ('{"type": "chat", "call_id": "c-1", "text": "date de fin d\'engagement ?"}', Chat),
    ('{"type": "attach_customer", "call_id": "c-1", "customer_id": 3}', AttachCustomer),
    ('{"type": "renew", "token": "a.b.c"}', Renew),
])
def test_the_three_messages_a_panel_may_send(raw: str, kind: type) -> None:
    assert isinstance(parse_inbound(raw), kind)


@pytest.mark.parametrize(("raw", "says"), [
    ("pas du json", "illisible"), ("[]", "illisible"), ("null", "illisible"), (None, "illisible"),
    ('{"type": 5}', "inconnu"), ('{"type": "dance"}', "inconnu"), ("{}", "inconnu"),
    ('{"type": "chat", "call_id": "c-1"}', "texte"),
    ('{"type": "chat", "call_id": "c 1; DROP", "text": "x"}', "identifiant d'appel"),
    ('{"type": "attach_customer", "call_id": "c-1", "customer_id": 1234567890123456789012345}', "numéro de client"),
    ('{"type": "attach_customer", "call_id": "c-1", "customer_id": "1"}', "numéro de client"),
    ('{"type": "chat", "call_id": "c-1", "text": "x", "admin": true}', "Message refusé"),
    (b"\xff\xfe", "illisible"),
])
def test_anything_else_gets_a_french_reason(raw: str | bytes | None, says: str) -> None:
    with pytest.raises(InvalidFrame, match=says):
        parse_inbound(raw)


# -- what the app sends ---------------------------------------------------------------------------------------
_DOCUMENTED = jsonschema_rs.validator_for(json.loads((SCHEMAS / "panel-outbound.schema.json").read_text()))


def outbound(frame: dict[str, Any]) -> Outbound:
    """The frame as a panel reads it (JSON text), checked against the documented schema and the model
    (strictly: no coercion, no unknown key)."""
    text = json.dumps(frame, ensure_ascii=False)
    _DOCUMENTED.validate(json.loads(text))
    return OUTBOUND.validate_json(text, strict=True)


def test_a_frame_the_protocol_does_not_know_is_refused() -> None:
    for frame in ({"type": "screen_pop", "call_id": "c-1"}, {"type": "dance"},
                  {"type": "error", "detail": "x", "call_id": None}, {"type": "error", "detail": "x", "extra": 1},
                  {"type": "call_update", "call_id": "c-1", "state": "answered"}):
        with pytest.raises(ValueError):
            outbound(frame)


@pytest.fixture
def client(sqlite_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app in-process (Rasa really down), whose NLU finds a move and a change of offer in any reason that
    names Nantes (and is down for the others)."""

    async def classify(text: str) -> JourneyPrediction:
        if "Nantes" not in text:
            raise NluUnavailable("connection refused")
        at = text.index("Nantes")
        return prediction_from_parse({
            "text": text, "intent": {"name": "move", "confidence": 0.48},
            "intent_ranking": [{"name": "move", "confidence": 0.48}, {"name": "change_offer", "confidence": 0.45}],
            "clauses": [{"name": "move", "confidence": 0.9}, {"name": "change_offer", "confidence": 0.8}],
            "entities": [{"entity": "city", "value": "Nantes", "start": at, "end": at + 6}]})

    with TestClient(app_without_rasa(sqlite_sessions.kw["bind"])) as c:
        monkeypatch.setattr(c.app.state.rasa, "classify", classify)  # type: ignore[attr-defined]
        yield c


def _panel(client: TestClient, login: str, query: str = "", ttl: timedelta | None = None) -> Any:
    return client.websocket_connect(f"/ws/panel?token={issue_token(login, ttl=ttl)}{query}")


def test_every_frame_the_app_sends_to_a_panel_is_an_outbound_message(client: TestClient) -> None:
    frames: list[dict[str, Any]] = []
    with _panel(client, "n1.demo") as n1, _panel(client, "sup.demo", "&call_id=c-1") as following, \
            _panel(client, "sup.demo") as supervisor, _panel(client, "trainer.demo") as trainer, \
            _panel(client, "n1.grenoble", ttl=timedelta(seconds=1)) as short, _panel(client, "n2.demo") as n2:
        for panel in (n1, following, supervisor, trainer, short, n2):
            frames.append(panel.receive_json())  # hello

        present_call(client, "c-1", "n1.demo", CAMILLE, reason=f"je déménage à Nantes et je veux la fibre {IBAN}")
        pop = n1.receive_json()
        assert (pop["journey"], pop["secondary_journeys"][0]["journey"], pop["low_confidence"]) == \
            ("move", "change_offer", True)
        assert pop["entities"] == [{"entity": "city", "value": "Nantes", "text": "Nantes"}]
        frames += [pop, following.receive_json()]  # the supervisor of the centre who follows the call
        r = client.post("/api/calls/c-1/journey", json={"journey": "terminate"}, headers=auth("n1.demo"))
        assert r.status_code == 200, r.text
        corrected = n1.receive_json()
        assert corrected["journey_corrected"] and corrected["acts"][0]["journey"] == "terminate"
        frames += [corrected, following.receive_json()]

        n1.send_json({"type": "chat", "call_id": "c-1", "text": "il doit combien ?"})  # Rasa is down
        n1.send_text("pas du json")
        n1.send_json({"type": "chat", "call_id": "c-9", "text": "bonjour"})
        n1.send_json({"type": "attach_customer", "call_id": "c-1", "customer_id": 2})
        n1.send_json({"type": "renew", "token": issue_token("n1.demo")})
        chat, unreadable, not_mine, attached, renewed = (n1.receive_json() for _ in range(5))
        assert (chat["type"], chat["messages"], not_mine["call_id"]) == ("chat_reply", [], "c-9")
        assert (attached["customer"]["id"], renewed["type"]) == (2, "renewed")
        frames += [chat, unreadable, not_mine, attached, following.receive_json(), renewed]
        with client.websocket_connect("/ws/bridge", headers=bridge_auth()) as bridge:
            for event in ("held", "ended"):
                bridge.send_json({"call_id": "c-1", "event": event})
                assert bridge.receive_json()["type"] == "ack"
                frames += [n1.receive_json(), following.receive_json()]

        # a warm transfer to level 2: offered to N2's panel, acknowledged, level 1 told
        present_call(client, "c-4", "n1.demo", CAMILLE, reason="ma box coupe tout le temps")
        frames.append(n1.receive_json())
        assert client.post("/api/calls/c-4/journey", json={"journey": "breakdown"},
                           headers=auth("n1.demo")).status_code == 200
        frames.append(n1.receive_json())  # the pop of the corrected journey
        sent = client.post("/api/calls/c-4/transfer", headers=auth("n1.demo"), json={
            "mode": "warm", "to": "n2", "checked": ["identity_checked", "line_diagnosed", "box_restarted"]})
        assert sent.status_code == 200, sent.text
        offered = n2.receive_json()
        assert offered["type"] == "transfer_offered"
        assert client.post(f"/api/transfers/{sent.json()['transfer_id']}/ack",
                           headers=auth("n2.demo")).status_code == 200
        frames += [offered, n2.receive_json(), n2.receive_json(), n1.receive_json()]  # pop, update; update

        # the supervisor is among N2's receivers too: the offer and the update reached their panel
        frames += [supervisor.receive_json(), supervisor.receive_json()]
        assert [f["type"] for f in frames[-2:]] == ["transfer_offered", "transfer_update"]
        present_call(client, "c-2", None, "07 00 00 00 00")  # nobody to present it to: supervisors see it wait
        frames.append(supervisor.receive_json())
        present_call(client, "c-3", "trainer.demo", CAMILLE, reason="je veux la fibre à Nantes")
        restricted = trainer.receive_json()
        assert restricted["restricted"] and restricted["customer"] is None and restricted["reason"] is None
        frames.append(restricted)
        frames.append(short.receive_json())  # its token expired

    seen = [outbound(frame) for frame in frames]
    assert {frame.type for frame in seen} == OUTBOUND_TYPES


def test_the_pop_cut_by_the_permission_filter_is_still_a_screen_pop(client: TestClient) -> None:
    with _panel(client, "n1.demo") as n1:
        n1.receive_json()
        present_call(client, "c-1", "n1.demo", CAMILLE, reason=f"je déménage à Nantes et je veux la fibre {IBAN}")
        n1.receive_json()
        manager = client.app.state.calls  # type: ignore[attr-defined]
        whole = manager.pop_message(manager.calls["c-1"])
    for permissions in (set(), {"customer:read"}, {"customer:read", "block:identification"},
                        {"customer:read", "block:offers"}, {"customer:read", "block:identification", "block:offers"},
                        {"customer:read", "block:identification", "block:billing", "field:payment_method"}):
        shown = outbound(permission_filter.pop(whole, frozenset(permissions)))
        assert shown.type == "screen_pop"
        assert (shown.customer is None) == ("customer:read" not in permissions)
        said = {"customer:read", "block:identification"} <= permissions
        assert (shown.reason is not None) == said
        assert (IBAN in (shown.reason or "")) == (said and {"block:billing", "field:payment_method"} <= permissions)


# -- the copilot's chat replies, as the actions build them --------------------------------------------------------
@pytest.fixture
def crm(sqlite_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    monkeypatch.setattr(actions.crm, "_sessions", lambda: sqlite_sessions)
    return sqlite_sessions


def through_rasa(messages: list[dict[str, Any]], sender: str) -> list[dict[str, Any]]:
    """What Rasa's channel (``CollectingOutputChannel``, ``OutputChannel.send_response``) makes of the actions'
    messages, after their trip as JSON: each text split at its blank lines, then its custom payload alone."""
    said: list[dict[str, Any]] = []
    for m in json.loads(json.dumps(messages)):
        if m.get("text"):
            said += [{"recipient_id": sender, "text": part} for part in m["text"].strip().split("\n\n")]
        if m.get("custom"):
            said.append({"recipient_id": sender, "custom": m["custom"]})
    return said


def _replies() -> list[list[dict[str, Any]]]:
    """One reply of each kind the actions give, on customer 1 (customer 2 for the balance)."""
    replies = [run(ActionAnswerQuestion(), "il doit combien ?", "copilot_balance", customer_id=2)[0],
               run(ActionPrepareAct(), "quand finit son engagement ?", "copilot_commitment_end")[0]]
    preview, slots = run(ActionPrepareAct(), f"passe-la en prélèvement sur {IBAN}", "copilot_set_payment")
    replies += [preview, run(ActionConfirmAct(), "oui", "affirm", slots=slots)[0]]
    for text, intent in (("donne-moi son RIO", "copilot_give_rio"), ("change son mail", "copilot_set_email")):
        _, slots = run(ActionPrepareAct(), text, intent)
        replies.append(run(ActionAskActAnswer(), text, intent, slots=slots)[0])
    replies.append(run(ActionJourneyActs(), "il veut résilier sa box", "terminate")[0])
    replies.append(run(ActionPrepareAct(), f"prélèvement sur {IBAN}", "copilot_set_payment", advisor="n2.demo")[0])
    return replies


def test_the_chat_replies_the_actions_build_are_outbound_messages(client: TestClient, crm: sessionmaker[Session],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    replies = _replies()

    async def chat(sender: str, text: str, assertion: str) -> list[dict[str, Any]]:
        return through_rasa(replies.pop(0), sender)

    monkeypatch.setattr(client.app.state.rasa, "chat", chat)  # type: ignore[attr-defined]
    kinds: set[str] = set()
    with _panel(client, "n1.demo") as n1:
        n1.receive_json()
        present_call(client, "c-chat", "n1.demo", CAMILLE)
        n1.receive_json()
        while replies:
            n1.send_json({"type": "chat", "call_id": "c-chat", "text": "…"})
            reply = outbound(n1.receive_json())
            assert reply.type == "chat_reply" and reply.messages, reply
            kinds |= {m.custom.kind for m in reply.messages if m.custom is not None}
    assert kinds == {"answer", "act_preview", "act_done", "act_question", "journey"}


def test_the_examples_of_the_protocol_page_are_frames_of_the_protocol() -> None:
    page = (SCHEMAS.parent / "panel-protocol.md").read_text()
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", page, re.S)]
    for example in examples:
        if "kind" in example:  # a chat message's custom payload
            outbound({"type": "chat_reply", "call_id": "c-1", "messages": [{"text": None, "custom": example}]})
        elif example["type"] in OUTBOUND_TYPES:
            outbound(example)
        else:
            parse_inbound(json.dumps(example))
    shown = {e.get("type") or e["kind"] for e in examples}  # (the answer payload is shown in a chat_reply)
    assert shown == OUTBOUND_TYPES | {"chat", "attach_customer", "renew", "act_preview", "act_done", "act_question",
                                      "journey"}
