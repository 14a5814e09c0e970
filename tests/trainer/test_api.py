"""The trainer's routes on the app in-process (Rasa down): habilitation, inbox, curation, the publication's gate
and claims, and trainings that fail (a stand-in for the Rasa runtime's process; the real one runs in
tests/integration/test_trainer_loop.py)."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.models import TraceEvent
from crm_core.models.trainer import ModelPublication, NluModel, ServingModel
from crm_core.services import tracing
from crm_core.services.habilitations import system_actor
from tests.factories import app_without_rasa, auth, present_call

TRAINER = auth("trainer.demo")
HELDOUT = Path(__file__).resolve().parents[2] / "nlu_eval" / "heldout.jsonl"
ROUTES = [("GET", "/api/trainer/inbox"), ("POST", "/api/trainer/inbox/0123456789abcdef/reject"),
          ("POST", "/api/trainer/examples"), ("GET", "/api/trainer/examples"), ("GET", "/api/trainer/examples/1"),
          ("PATCH", "/api/trainer/examples/1"), ("DELETE", "/api/trainer/examples/1"),
          ("POST", "/api/trainer/models"), ("GET", "/api/trainer/models"), ("GET", "/api/trainer/models/1"),
          ("POST", "/api/trainer/models/1/cancel"), ("POST", "/api/trainer/models/1/publish"),
          ("POST", "/api/trainer/models/1/rollback")]


@pytest.fixture
def client(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(app_without_rasa(sessions.kw["bind"], models_dir=tmp_path / "models")) as c:
        yield c


def correct(client: TestClient, call_id: str, reason: str, journey: str, number: str = "07 12 34 56 78") -> None:
    present_call(client, call_id, "n1.demo", number, reason)
    r = client.post(f"/api/calls/{call_id}/journey", json={"journey": journey},
                    headers=auth("n1.demo") | {"X-Call-Id": call_id})
    assert r.status_code == 200, r.text
    assert client.app.state.calls.flush_traces()  # type: ignore[attr-defined]


def inbox(client: TestClient, query: str = "") -> list[dict[str, Any]]:
    r = client.get(f"/api/trainer/inbox{query}", headers=TRAINER)
    assert r.status_code == 200, r.text
    return r.json()["groups"]


def test_every_trainer_route_is_refused_to_other_profiles(client: TestClient) -> None:
    for login in ("n1.demo", "sup.demo", "admin.demo", "n2.demo"):
        for method, path in ROUTES:
            r = client.request(method, path, headers=auth(login), json={"text": "x", "journey": "move"})
            assert r.status_code == 403, (login, method, path, r.text)
            assert "nlu:curate" in r.json()["detail"]


def test_an_advisors_correction_reaches_the_inbox_masked_and_without_identity(client: TestClient) -> None:
    correct(client, "t-1", "c'est Camille Martin au 06 12 34 56 78, mon voisin capte mon wifi", "usage_help")
    [group] = inbox(client)
    assert group["text"] == "c'est ‹nom› ‹nom› au ‹téléphone›, mon voisin capte mon wifi"
    assert group["sources"] == {"unsure": 0, "corrected": 1, "dropped": 0}
    assert group["suggested"] == "usage_help" and group["corrected_to"][0]["count"] == 1
    assert group["centres"] == ["CCO-LYON"] and group["count"] == 1
    body = json.dumps(group)
    for leak in ("t-1", "Camille", "Martin", "0612345678", "06 12", "customer"):
        assert leak not in body


def test_near_duplicates_are_one_group_with_their_count_and_filters_apply(client: TestClient) -> None:
    correct(client, "t-1", "mon voisin capte mon wifi", "usage_help")
    correct(client, "t-2", "euh mon voisin capte mon wifi !", "usage_help", "07 55 44 33 22")
    correct(client, "t-3", "je veux résilier ma ligne fixe", "terminate", "07 11 22 33 44")
    groups = inbox(client)
    assert sorted(g["count"] for g in groups) == [1, 2]
    assert groups[0]["count"] == 2 and groups[0]["variants"]  # most frequent first, with its other wording
    assert [g["suggested"] for g in inbox(client, "?journey=terminate")] == ["terminate"]
    assert inbox(client, "?source=unsure") == [] and len(inbox(client, "?source=corrected")) == 2
    assert inbox(client, "?centre=AVSC-RENNES") == [] and len(inbox(client, "?centre=CCO-LYON")) == 2
    assert inbox(client, "?since=2000-01-01&until=2000-01-31") == []
    assert client.get("/api/trainer/inbox?journey=nope", headers=TRAINER).status_code == 422


def test_unsure_predictions_and_dropped_acts_are_sources_too(client: TestClient,
                                                            sessions: sessionmaker[Session]) -> None:
    copilot = system_actor()
    with transaction(sessions) as s:
        tracing.record(s, "nlu.predicted", copilot, call_id="u-1", journey="breakdown", confidence=0.41,
                       intent="breakdown", text="ça rame le soir", unsure=True)
        tracing.record(s, "nlu.predicted", copilot, call_id="u-2", journey="move", confidence=0.97, intent="move",
                       text="je déménage à Nantes", unsure=False)
        tracing.record(s, "nlu.predicted", copilot, call_id="u-3", journey="terminate", confidence=0.9,
                       intent="terminate", text="je veux garder ma ligne mais changer de nom")
        tracing.record(s, "act.cancelled", system_actor("n1.demo"), call_id="u-3", act="register_termination")
    by_text = {g["text"]: g for g in inbox(client)}
    assert set(by_text) == {"ça rame le soir", "je veux garder ma ligne mais changer de nom"}  # the sure one is out
    assert by_text["ça rame le soir"]["sources"]["unsure"] == 1
    assert by_text["je veux garder ma ligne mais changer de nom"]["sources"]["dropped"] == 1


def test_accepting_or_rejecting_a_group_takes_it_out_of_the_inbox(client: TestClient,
                                                                  sessions: sessionmaker[Session]) -> None:
    correct(client, "t-1", "mon voisin capte mon wifi", "usage_help")
    correct(client, "t-2", "je veux résilier ma ligne fixe", "terminate", "07 11 22 33 44")
    first, second = sorted(inbox(client), key=lambda g: g["text"])
    r = client.post("/api/trainer/examples", headers=TRAINER,
                    json={"text": second["text"], "journey": "usage_help", "inbox_id": second["id"]})
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "inbox" and r.json()["created_by"] == "trainer.demo"
    assert client.post(f"/api/trainer/inbox/{first['id']}/reject", headers=TRAINER, json={}).status_code == 204
    assert inbox(client) == []
    assert client.post(f"/api/trainer/inbox/{first['id']}/reject", headers=TRAINER).status_code == 404
    with sessions() as s:
        names = [t.name for t in s.scalars(select(TraceEvent).where(TraceEvent.actor == "trainer.demo"))]
    assert {"trainer.example_added", "trainer.inbox_rejected", "trainer.inbox_read"} <= set(names)


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"text": "ma box est en panne", "journey": "nope"}, "journey", "Parcours inconnu"),
    ({"text": "   ", "journey": "move"}, "text", "obligatoire"),
    ({"text": "x" * 10_000, "journey": "move"}, "text", "1000 caractères"),
    ({"text": "ma box\x07 est en panne", "journey": "breakdown"}, "text", ""),
    ({"text": "ma box", "journey": "breakdown", "entities": [{"start": 3, "end": 99, "entity": "equipment"}]},
     "entities[0]", "hors du texte"),
    ({"text": "ma box", "journey": "breakdown", "entities": [{"start": 3, "end": 6, "entity": "nope"}]},
     "entities[0]", "Entité inconnue"),
])
def test_a_bad_example_is_refused_in_french_and_nothing_is_written(client: TestClient, body: dict[str, Any],
                                                                   field: str, words: str) -> None:
    r = client.post("/api/trainer/examples", headers=TRAINER, json=body)
    assert r.status_code == 422, r.text
    errors = {e["field"].removeprefix("body."): e["message"] for e in r.json()["errors"]}
    assert field in errors and words in errors[field], errors
    assert client.get("/api/trainer/examples", headers=TRAINER).json() == []


def test_duplicates_held_out_sentences_and_fillers_are_refused(client: TestClient) -> None:
    ok = client.post("/api/trainer/examples", headers=TRAINER, json={"text": "mon voisin capte mon wifi",
                                                                     "journey": "usage_help"})
    assert ok.status_code == 201
    again = client.post("/api/trainer/examples", headers=TRAINER, json={"text": "Euh, mon voisin capte mon WiFi !",
                                                                        "journey": "breakdown"})
    assert again.status_code == 409 and "presque identique" in again.json()["detail"]
    heldout = json.loads(HELDOUT.read_text().splitlines()[0])["text"]
    r = client.post("/api/trainer/examples", headers=TRAINER, json={"text": heldout, "journey": "move"})
    assert r.status_code == 409 and "jeu d'évaluation" in r.json()["detail"]
    r = client.post("/api/trainer/examples", headers=TRAINER, json={"text": "euh… bah", "journey": "move"})
    assert r.status_code == 422 and "ne dit rien" in r.text


def test_relabelling_keeps_every_version_and_retiring_keeps_the_row(client: TestClient) -> None:
    made = client.post("/api/trainer/examples", headers=TRAINER,
                       json={"text": "je voudrais mon code RIO", "journey": "terminate",
                             "entities": []}).json()
    r = client.patch(f"/api/trainer/examples/{made['id']}", headers=TRAINER, json={"journey": "manage_account"})
    assert r.status_code == 200 and r.json()["revision"] == 2 and r.json()["replaces_id"] == made["id"]
    later = client.get(f"/api/trainer/examples/{r.json()['id']}", headers=TRAINER).json()
    assert [h["journey"] for h in later["history"]] == ["terminate"] and later["history"][0]["active"] is False
    stale = client.patch(f"/api/trainer/examples/{made['id']}", headers=TRAINER, json={"journey": "move"})
    assert stale.status_code == 409 and "dernière version" in stale.json()["detail"]
    assert client.delete(f"/api/trainer/examples/{r.json()['id']}", headers=TRAINER).status_code == 204
    assert client.get("/api/trainer/examples", headers=TRAINER).json() == []
    assert client.get(f"/api/trainer/examples/{r.json()['id']}", headers=TRAINER).json()["active"] is False
    assert client.get("/api/trainer/examples/999", headers=TRAINER).status_code == 404


# -- publication ---------------------------------------------------------------------------------------------
def _figures(accuracy: float) -> dict[str, Any]:
    per = {j: {"precision": accuracy, "recall": accuracy, "f1": accuracy, "support": 30} for j in ("move", "terminate")}
    return {"accuracy": accuracy, "macro_f1": accuracy, "per_journey": per, "examples": 60, "rows": []}


def _models(sessions: sessionmaker[Session], tmp_path: Path, candidate_a: float) -> tuple[int, int]:
    files = []
    for name in ("repo", "cand"):
        path = tmp_path / "models" / f"{name}.tar.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not a real model")
        files.append(str(path))
    with transaction(sessions) as s:
        repo = NluModel(source="repository", status="ready", file=files[0], created_by="copilot",
                        metrics={"A": _figures(0.9), "B": _figures(0.9)})
        cand = NluModel(source="candidate", status="ready", file=files[1], created_by="trainer.demo",
                        metrics={"A": _figures(candidate_a), "B": _figures(0.95)})
        s.add_all([repo, cand])
        s.flush()
        s.add(ServingModel(id=1, model_id=repo.id, version=1))
        s.add(ModelPublication(model_id=repo.id, action="repository", published_by="copilot"))
        return repo.id, cand.id


def test_a_candidate_worse_on_a_held_out_set_is_refused_unless_forced_with_a_reason(
        client: TestClient, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    repo, cand = _models(sessions, tmp_path, candidate_a=0.85)
    detail = client.get(f"/api/trainer/models/{cand}", headers=TRAINER).json()["comparison"]
    assert detail["worse_on"] == ["A"] and detail["sets"]["B"]["delta"]["accuracy"] == pytest.approx(0.05)
    r = client.post(f"/api/trainer/models/{cand}/publish", headers=TRAINER)
    assert r.status_code == 409 and r.json()["worse_on"] == ["A"]
    assert "moins bien" in r.json()["detail"]
    assert "jeu A : 85,0\u202f% contre 90,0\u202f%, 3 motifs de moins sur 60" in r.json()["detail"]
    r = client.post(f"/api/trainer/models/{cand}/publish", headers=TRAINER, json={"force": True})
    assert r.status_code == 422 and "raison" in r.text
    # forced with a reason, it goes to the Rasa server, which is down here: said, and nothing changes
    r = client.post(f"/api/trainer/models/{cand}/publish", headers=TRAINER, json={"force": True, "reason": "test"})
    assert r.status_code == 503 and "n'a pas changé" in r.json()["detail"]
    with sessions() as s:
        row = s.get(ServingModel, 1)
        assert row is not None and row.model_id == repo and row.busy_by is None


def test_a_publication_in_progress_is_named_to_the_second_trainer(client: TestClient,
                                                                  sessions: sessionmaker[Session],
                                                                  tmp_path: Path) -> None:
    _repo, cand = _models(sessions, tmp_path, candidate_a=0.95)
    with transaction(sessions) as s:
        row = s.get(ServingModel, 1)
        assert row is not None
        row.busy_by = "trainer.bis"
        from crm_core.models.base import utcnow

        row.busy_since = utcnow()
    r = client.post(f"/api/trainer/models/{cand}/publish", headers=TRAINER)
    assert r.status_code == 409 and "trainer.bis est en train de publier" in r.json()["detail"]


def test_what_cannot_be_published_or_rolled_back_says_why(client: TestClient, sessions: sessionmaker[Session],
                                                          tmp_path: Path) -> None:
    repo, cand = _models(sessions, tmp_path, candidate_a=0.95)
    assert client.post(f"/api/trainer/models/{repo}/publish", headers=TRAINER).status_code == 409  # in production
    assert client.post("/api/trainer/models/999/publish", headers=TRAINER).status_code == 404
    r = client.post(f"/api/trainer/models/{repo}/rollback", headers=TRAINER)
    assert r.status_code == 409 and "Aucun modèle précédent" in r.json()["detail"]
    assert client.post(f"/api/trainer/models/{cand}/rollback", headers=TRAINER).status_code == 404  # not served
    listing = client.get("/api/trainer/models", headers=TRAINER).json()
    assert listing["production"]["id"] == repo and [m["id"] for m in listing["models"]] == [cand, repo]
    assert listing["can_roll_back"] is False  # the page offers no rollback from the first model
    assert listing["history"][0]["action"] == "repository"


# -- trainings that fail (a stand-in for the Rasa runtime's interpreter) ----------------------------------------
def _fake_runtime(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-python"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script


def _wait(client: TestClient, model_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        model = client.get(f"/api/trainer/models/{model_id}", headers=TRAINER).json()
        if model["status"] != "training":
            return model
        time.sleep(0.1)
    raise AssertionError("still training")


def test_a_failing_training_ends_failed_with_its_reason_in_french(client: TestClient, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_runtime(tmp_path, 'echo \'{"step": "Entraînement du modèle", "progress": 0.2}\'\n'
                                   'echo \'{"step": "Échec", "progress": 1, "error": "ValueError: données"}\'\nexit 1')
    monkeypatch.setattr("trainer.training.rasa_python", lambda: fake)
    r = client.post("/api/trainer/models", headers=TRAINER, json={"note": "essai"})
    assert r.status_code == 202 and r.json()["status"] == "training"
    model = _wait(client, r.json()["id"])
    assert model["status"] == "failed" and model["note"] == "essai"
    assert model["error"].startswith("L'entraînement a échoué (code 1) : ValueError: données")
    assert client.post(f"/api/trainer/models/{model['id']}/publish", headers=TRAINER).status_code == 409


def test_a_cancelled_training_ends_failed_and_a_second_one_waits_for_the_first(
        client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("trainer.training.rasa_python", lambda: _fake_runtime(tmp_path, "sleep 30"))
    model_id = client.post("/api/trainer/models", headers=TRAINER).json()["id"]
    second = client.post("/api/trainer/models", headers=TRAINER)
    assert second.status_code == 409 and "déjà en cours" in second.json()["detail"]
    deadline = time.monotonic() + 10
    while client.get(f"/api/trainer/models/{model_id}", headers=TRAINER).json()["step"] != "Entraînement lancé":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.post(f"/api/trainer/models/{model_id}/cancel", headers=TRAINER).status_code == 204
    model = _wait(client, model_id)
    assert model["status"] == "failed" and "annulé par trainer.demo" in model["error"]


def test_a_training_left_by_a_stopped_app_is_failed_at_start(sessions: sessionmaker[Session],
                                                             tmp_path: Path) -> None:
    with transaction(sessions) as s:
        s.add(NluModel(source="candidate", status="training", pid=None, created_by="trainer.demo"))
    with TestClient(app_without_rasa(sessions.kw["bind"], models_dir=tmp_path / "models")) as c:
        [model] = c.get("/api/trainer/models", headers=TRAINER).json()["models"]
    assert model["status"] == "failed" and "l'application s'est arrêtée" in model["error"]


def test_a_training_cancelled_right_after_it_was_asked_for_never_ends_ready(
        client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled while its data is being written (before its process exists) or as the process starts."""
    fake = _fake_runtime(tmp_path, 'echo \'{"step": "Terminé", "progress": 1}\'\nexit 0')
    monkeypatch.setattr("trainer.training.rasa_python", lambda: fake)
    model_id = client.post("/api/trainer/models", headers=TRAINER).json()["id"]
    assert client.post(f"/api/trainer/models/{model_id}/cancel", headers=TRAINER).status_code == 204
    model = _wait(client, model_id)
    assert model["status"] == "failed" and "annulé par trainer.demo" in model["error"]
    assert model["progress"] <= 1
