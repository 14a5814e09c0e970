"""The advisor chat's conversation tests (assistant/tests/test_*.yml), run by Rasa itself on the trained model.

``rasa test core --e2e`` parses each line the advisor types with the real NLU, compares the intent and the
entities with the story's, then checks the action the policies choose; ``--fail-on-prediction-errors`` makes
the first mismatch fail the run.
"""

import subprocess
from pathlib import Path

import pytest

from assistant.model_store import ASSISTANT_DIR, ensure_model, rasa_env, rasa_executable

pytestmark = pytest.mark.integration


def test_the_advisor_chat_conversations_pass_on_the_trained_model(tmp_path: Path) -> None:
    model, _ = ensure_model(quiet=True)
    stories = sorted((ASSISTANT_DIR / "tests").glob("test_*.yml"))
    assert stories, "no conversation test in assistant/tests"
    run = subprocess.run(
        [str(rasa_executable()), "test", "core", "--e2e", "--fail-on-prediction-errors", "--model", str(model),
         "--stories", str(ASSISTANT_DIR / "tests"), "--out", str(tmp_path)],
        cwd=tmp_path, env=rasa_env(), capture_output=True, text=True, timeout=600, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    # Every story was evaluated (an unreadable story file would make Rasa evaluate none and still exit 0).
    assert f"Correct:          {sum(s.read_text().count('- story:') for s in stories)} / " in output, output[-3000:]


def test_rasa_data_validate_is_clean(tmp_path: Path) -> None:
    """The domain, the NLU data, the rules and the stories agree, with no warning (an intent no rule uses, an
    action the domain does not declare, a rule that contradicts another)."""
    run = subprocess.run(
        [str(rasa_executable()), "data", "validate", "--domain", "domain", "--data", "data", "--fail-on-warnings"],
        cwd=ASSISTANT_DIR, env=rasa_env(), capture_output=True, text=True, timeout=600, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "No story structure conflicts found" in output, output[-3000:]
