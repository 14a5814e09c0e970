"""`copilot nlu export`: the curated examples of the database as Rasa YAML, for a trainer only, traced."""

import os
import subprocess
import sys
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.models import TraceEvent
from crm_core.services.habilitations import actor_for
from trainer.examples import Curation


def _export(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ) | {"COPILOT_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "copilot_cli", "nlu", "export", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_the_curated_examples_are_written_as_rasa_yaml_by_a_trainer(sqlite_sessions: sessionmaker[Session],
                                                                   tmp_path: Path) -> None:
    with transaction(sqlite_sessions) as s:
        curation = Curation(s, actor_for(s, "trainer.demo"))
        curation.add("mon voisin capte mon wifi", "usage_help")
        curation.add("je veux la fibre à Lyon", "change_offer",
                     [{"start": 11, "end": 16, "entity": "offer"}, {"start": 19, "end": 23, "entity": "city"}])
        old = curation.add("je voudrais mon code RIO", "terminate")
        curation.relabel(old.id, "manage_account")
        curation.retire(curation.add("ça rame le soir", "breakdown").id)
    out = tmp_path / "curated.yml"
    url = str(sqlite_sessions.kw["bind"].url)
    done = _export(url, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "3 curated example(s)" in done.stdout
    data = yaml.safe_load(out.read_text())
    examples = {block["intent"]: block["examples"] for block in data["nlu"]}
    assert examples == {"change_offer": "- je veux la [fibre](offer) à [Lyon](city)\n",
                        "manage_account": "- je voudrais mon code RIO\n", "usage_help": "- mon voisin capte mon wifi\n"}
    with sqlite_sessions() as s:
        trace = s.scalar(select(TraceEvent).where(TraceEvent.name == "trainer.examples_exported"))
    assert trace is not None and trace.actor == "trainer.demo" and trace.data["examples"] == 3


def test_another_profile_cannot_export(sqlite_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = tmp_path / "curated.yml"
    done = _export(str(sqlite_sessions.kw["bind"].url), "--out", str(out), "--user", "n1.demo")
    assert done.returncode == 2 and "nlu:curate" in done.stderr
    assert not out.exists()
