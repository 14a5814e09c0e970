import json
from pathlib import Path

import pytest

from assistant.copilot.panel_messages import AttachCustomer, Chat, InvalidFrame, Renew, json_schema, parse_inbound

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "schemas" / "panel-inbound.schema.json"


def test_the_documented_schema_is_the_one_the_code_enforces() -> None:
    documented = json.loads(SCHEMA_FILE.read_text())
    assert documented == json_schema(), "regenerate it: copilot panel schema --write " + str(SCHEMA_FILE)


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
