import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from telephony_bridge.events import CallEvent
from telephony_bridge.webhook import SIGNATURE, TIMESTAMP, cti_webhook_router, sign
from telephony_bridge.websocket import EventRefused

SECRET = "cti-webhook-secret-of-the-tests-0123456789"
NOW = 1_796_115_900  # 2026-12-01 09:05 UTC
URL = "/api/bridge/cti"


@pytest.fixture
def handled() -> list[CallEvent]:
    return []


@pytest.fixture
def client(handled: list[CallEvent]) -> TestClient:
    seen: set[str] = set()

    async def handle(event: CallEvent) -> str | None:
        if event.call_id == "refused":
            raise EventRefused("call refused is presented to another advisor")
        if event.call_id == "boom":
            raise RuntimeError("bug")
        if event.event_id is not None and event.event_id in seen:
            return "duplicate"
        seen.add(event.event_id or "")
        handled.append(event)
        return None

    app = FastAPI()
    app.include_router(cti_webhook_router(handle, SECRET, clock=lambda: NOW))
    return TestClient(app)


def post(client: TestClient, payload: Any, timestamp: int = NOW, secret: str = SECRET,
         body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    raw = json.dumps(payload).encode() if body is None else body
    signed = {TIMESTAMP: str(timestamp), SIGNATURE: sign(secret, timestamp, raw), "Content-Type": "application/json"}
    return client.post(URL, content=raw, headers=signed | (headers or {}))


def offered(call_id: str = "c-42", **extra: Any) -> dict[str, Any]:
    return {"version": 2, "call_id": call_id, "event": "offered", "caller_number": "0712345678"} | extra


def test_one_signed_event_is_applied(client: TestClient, handled: list[CallEvent]) -> None:
    response = post(client, offered(event_id="cti-1"))
    assert response.status_code == 200
    assert response.json() == {"results": [{"call_id": "c-42", "event": "offered", "event_id": "cti-1",
                                            "status": "applied"}]}
    assert [(e.call_id, e.event.value, e.caller_number) for e in handled] == [("c-42", "offered", "0712345678")]


def test_a_list_is_handled_in_order_with_each_events_fate(client: TestClient, handled: list[CallEvent]) -> None:
    batch = [offered(event_id="cti-1"), offered(event_id="cti-1"),
             {"version": 2, "call_id": "c-42", "event": "dtmf", "digits": "2", "event_id": "cti-2"},
             offered("refused"), offered("boom")]
    response = post(client, batch)
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"call_id": "c-42", "event": "offered", "event_id": "cti-1", "status": "applied"},
        {"call_id": "c-42", "event": "offered", "event_id": "cti-1", "status": "dropped", "dropped": "duplicate"},
        {"call_id": "c-42", "event": "dtmf", "event_id": "cti-2", "status": "applied"},
        {"call_id": "refused", "event": "offered", "status": "refused",
         "detail": "call refused is presented to another advisor"},
        {"call_id": "boom", "event": "offered", "status": "failed",
         "detail": "internal error while handling the event"},
    ]
    assert [e.event.value for e in handled] == ["offered", "dtmf"]


@pytest.mark.parametrize(("case", "says"), [
    ("no headers", "are required"),
    ("wrong secret", "does not match"),
    ("tampered body", "does not match"),
    ("timestamp changed", "does not match"),
    ("replayed 6 minutes later", "more than 300 seconds"),
    ("from the future", "more than 300 seconds"),
    ("bare hex", "does not match"),
])
def test_unsigned_tampered_or_replayed_requests_are_refused(client: TestClient, handled: list[CallEvent],
                                                             case: str, says: str) -> None:
    raw = json.dumps(offered()).encode()
    if case == "no headers":
        response = client.post(URL, content=raw)
    elif case == "wrong secret":
        response = post(client, offered(), secret="another-secret-of-32-characters-at-least")
    elif case == "tampered body":
        response = post(client, None, body=raw.replace(b"0712345678", b"0798765432"),
                        headers={SIGNATURE: sign(SECRET, NOW, raw)})
    elif case == "timestamp changed":
        response = post(client, offered(), headers={TIMESTAMP: str(NOW - 10)})
    elif case == "replayed 6 minutes later":
        response = post(client, offered(), timestamp=NOW - 360)
    elif case == "from the future":
        response = post(client, offered(), timestamp=NOW + 360)
    else:
        response = post(client, offered(), headers={SIGNATURE: sign(SECRET, NOW, raw).removeprefix("sha256=")})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 401 and problem["title"] == "Unauthorized" and says in problem["detail"]
    assert handled == []


def test_an_invalid_event_is_refused_field_by_field_and_nothing_is_applied(client: TestClient,
                                                                           handled: list[CallEvent]) -> None:
    response = post(client, [offered(), {"version": 2, "call_id": "c-42", "event": "dtmf"},
                             {"call_id": "c-42", "event": "paused"}])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"] == "invalid CallEvent: nothing was applied"
    assert [e["field"] for e in problem["errors"]] == ["1", "2.event"]
    assert handled == []
    single = post(client, {"call_id": "c-42", "event": "offered", "colour": "blue"}).json()
    assert [e["field"] for e in single["errors"]] == ["colour"]


@pytest.mark.parametrize(("payload", "body", "says"), [
    (None, b"{not json", "not JSON"),
    ([], None, "1 to 100"),
    ([offered(f"c-{i}") for i in range(101)], None, "1 to 100"),
])
def test_bodies_that_are_not_a_batch_of_events(client: TestClient, payload: Any, body: bytes | None,
                                               says: str) -> None:
    response = post(client, payload, body=body)
    assert response.status_code == 422 and says in response.json()["detail"]


def test_a_body_too_large_is_refused(client: TestClient) -> None:
    response = post(client, None, body=b" " * 1_048_577)
    assert response.status_code == 413


def test_the_secret_must_be_long() -> None:
    async def handle(_e: CallEvent) -> None:
        return None

    with pytest.raises(ValueError, match="32 characters"):
        cti_webhook_router(handle, "short")


def test_the_app_takes_signed_cti_events_into_its_calls(sqlite_sessions: Any) -> None:
    """Wired in the app with the bridge token: a signed batch makes a call that pops; a replay is dropped."""
    import time as clock

    from crm_core.core.config import get_crm_settings
    from tests.factories import app_without_rasa

    secret = get_crm_settings().secret("bridge_token")
    with TestClient(app_without_rasa(sqlite_sessions.kw["bind"])) as app:
        batch = [offered("cti-app", event_id="a1", agent="n1.demo", sequence=1),
                 {"version": 2, "call_id": "cti-app", "event": "answered", "event_id": "a2", "sequence": 2}]
        now = int(clock.time())
        first = post(app, batch, timestamp=now, secret=secret)
        assert first.status_code == 200, first.text
        assert [r["status"] for r in first.json()["results"]] == ["applied", "applied"]
        again = post(app, batch[:1], timestamp=now, secret=secret)
        assert again.json()["results"][0] == {"call_id": "cti-app", "event": "offered", "event_id": "a1",
                                              "status": "dropped", "dropped": "duplicate"}
        assert post(app, batch, timestamp=now, secret="not-the-bridge-token-at-all-0123456789").status_code == 401
        calls = app.app.state.calls  # type: ignore[attr-defined]
        deadline = clock.monotonic() + 5
        while clock.monotonic() < deadline and calls.calls["cti-app"].popped_to is None:
            clock.sleep(0.02)
        assert calls.calls["cti-app"].popped_to == "n1.demo" and calls.calls["cti-app"].customer.id == 1
