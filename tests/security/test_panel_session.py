"""The panel socket lives as long as its token: it closes at expiry, a renewal moves the expiry on and
re-reads the permissions, and a foreign token renews nothing. In-process app, real SQLite CRM."""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.websockets import WebSocketDisconnect

from crm_core.core.db import transaction
from crm_core.core.security import issue_token
from crm_core.models import PackLoan
from crm_core.models.base import utcnow
from tests.factories import app_without_rasa


@pytest.fixture
def client(sqlite_sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with TestClient(app_without_rasa(sqlite_sessions.kw["bind"])) as c:
        yield c


def test_the_socket_closes_when_the_token_expires(client: TestClient) -> None:
    # A first socket pays the cold start (CI machines are slow), so the short token below is still valid
    # when its own socket opens.
    with client.websocket_connect(f"/ws/panel?token={issue_token('n1.demo')}") as warm:
        assert warm.receive_json()["type"] == "hello"
    token = issue_token("n1.demo", ttl=timedelta(seconds=3))
    with client.websocket_connect(f"/ws/panel?token={token}") as panel:
        hello = panel.receive_json()
        assert hello["type"] == "hello" and hello["expires_at"], hello
        started = time.monotonic()
        assert panel.receive_json() == {"type": "session_expired", "detail": "Session expirée : reconnectez-vous."}
        with pytest.raises(WebSocketDisconnect) as closed:
            panel.receive_json()
        assert closed.value.code == 4401
        assert time.monotonic() - started < 6


def test_a_renewal_keeps_the_socket_and_rereads_the_permissions(client: TestClient,
                                                                sqlite_sessions: sessionmaker[Session]) -> None:
    token = issue_token("n2.demo", ttl=timedelta(seconds=3))
    with client.websocket_connect(f"/ws/panel?token={token}") as panel:
        assert "field:collection" not in panel.receive_json()["permissions"]
        with transaction(sqlite_sessions) as s:  # meanwhile the admin lends the collection tools to N2
            s.add(PackLoan(pack_code="collection_tools", profile_code="n2_technical", granted_by="admin.demo",
                           starts_at=utcnow(), expires_at=utcnow() + timedelta(days=1)))
        panel.send_json({"type": "renew", "token": issue_token("n2.demo", ttl=timedelta(minutes=5))})
        renewed = panel.receive_json()
        assert renewed["type"] == "renewed" and "field:collection" in renewed["permissions"]
        time.sleep(3.5)  # past the first token's expiry: still open
        panel.send_json({"type": "chat", "call_id": "c1", "text": "bonjour"})
        assert panel.receive_json()["detail"].startswith("Cet appel ne vous est pas attribué")


@pytest.mark.parametrize("other", ["n1.demo", "expired", "garbage"])
def test_a_renewal_with_a_token_that_is_not_ones_own_is_refused(client: TestClient, other: str) -> None:
    token = {"n1.demo": issue_token("n1.demo"), "expired": issue_token("n2.demo", ttl=timedelta(seconds=-1)),
             "garbage": "x.y.z"}[other]
    with client.websocket_connect(f"/ws/panel?token={issue_token('n2.demo')}") as panel:
        assert panel.receive_json()["advisor"] == "n2.demo"
        panel.send_json({"type": "renew", "token": token})
        refusal = panel.receive_json()
        assert refusal["type"] == "error" and refusal["detail"].startswith("Renouvellement refusé")
        panel.send_json({"type": "chat", "call_id": "c1", "text": "bonjour"})  # still n2.demo, still open
        assert panel.receive_json()["type"] == "error"


def test_the_api_renews_a_valid_token_and_refuses_the_rest(client: TestClient) -> None:
    r = client.post("/api/session/renew", headers={"Authorization": f"Bearer {issue_token('n1.demo')}"})
    assert r.status_code == 200 and r.json()["login"] == "n1.demo"
    assert client.get("/api/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).status_code == 200
    for headers in ({}, {"Authorization": f"Bearer {issue_token('n1.demo', ttl=timedelta(seconds=-1))}"},
                    {"Authorization": f"Bearer {issue_token('ghost.advisor')}"}):
        refused = client.post("/api/session/renew", headers=headers)
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
