"""Where the checkout is and where its build outputs go (venvs, models, databases, secrets, logs)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / ".build"
