"""The trained Rasa model: named by a fingerprint of what it is trained from, retrained only on change."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from crm_core.core.config import BUILD_DIR, REPO_ROOT

ASSISTANT_DIR = REPO_ROOT / "assistant"
MODELS_DIR = BUILD_DIR / "models"
RASA_VENV = REPO_ROOT / ".venv-rasa"
TRAINING_INPUTS = (
    ASSISTANT_DIR / "config.yml",
    ASSISTANT_DIR / "domain",
    ASSISTANT_DIR / "data",
    REPO_ROOT / "nlu" / "components",
    REPO_ROOT / "nlu" / "text",  # the components' text tools
    REPO_ROOT / "requirements" / "rasa.lock",
)


class RasaRuntimeMissing(RuntimeError):
    pass


def rasa_executable() -> Path:
    exe = RASA_VENV / "bin" / "rasa"
    if not exe.exists():
        raise RasaRuntimeMissing(f"{exe} is missing: run `make rasa-runtime` (or `make run`) first")
    return exe


def rasa_python() -> Path:
    """The Rasa runtime's interpreter (to run our ``nlu`` modules inside it)."""
    rasa_executable()  # the same clear message when the runtime is missing
    return RASA_VENV / "bin" / "python"


def rasa_env() -> dict[str, str]:
    """Environment for processes of the Rasa runtime: our ``nlu/`` importable, no telemetry."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env.pop("VIRTUAL_ENV", None)
    return env


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def fingerprint() -> str:
    digest = hashlib.sha256()
    for root in TRAINING_INPUTS:
        for file in _files(root):
            digest.update(str(file.relative_to(REPO_ROOT)).encode())
            digest.update(b"\0")
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS_DIR / f"model-{fingerprint()}.tar.gz"


def ensure_model(force: bool = False, quiet: bool = False) -> tuple[Path, bool]:
    """Return (path of the model matching the data, whether it was trained now)."""
    target = model_path()
    if target.exists() and not force:
        return target, False
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    work = BUILD_DIR / "rasa-work"
    work.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(rasa_executable()), "train",
        "--config", str(ASSISTANT_DIR / "config.yml"),
        "--domain", str(ASSISTANT_DIR / "domain"),
        "--data", str(ASSISTANT_DIR / "data"),
        "--out", str(MODELS_DIR),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]
    subprocess.run(cmd, cwd=work, env=rasa_env(), check=True,
                   stdout=subprocess.DEVNULL if quiet else None, stderr=subprocess.STDOUT if quiet else None)
    for old in MODELS_DIR.glob("model-*.tar.gz"):
        if old != target:
            old.unlink()
    shutil.rmtree(work / ".rasa", ignore_errors=True)
    return target, True
