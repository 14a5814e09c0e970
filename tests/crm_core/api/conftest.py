from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.app import create_app
from assistant.copilot.settings import CopilotSettings
from copilot_cli.stack import free_port


@pytest.fixture
def api(sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    """The app on each database (SQLite, PostgreSQL) with the demo data; Rasa is not needed here."""
    closed = free_port()
    settings = CopilotSettings(rasa_url=f"http://127.0.0.1:{closed}", actions_url=f"http://127.0.0.1:{closed}")
    with TestClient(create_app(settings, engine=sessions.kw["bind"])) as client:
        yield client
