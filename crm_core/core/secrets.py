"""Secrets of a development checkout: made once, kept in ``.build/secrets/``, never in git.

Outside production, a secret that the environment does not set is read from (or, the first time, written
to) a file of its own, readable by its owner only. Every process of the checkout reads the same file, so
the app, the action server, the Rasa server, ``copilot call simulate`` and the tests agree without anyone
choosing a password; the public repository holds none. Production refuses to start without them.
"""

import contextlib
import os
import secrets
from pathlib import Path

from crm_core.core.paths import BUILD_DIR

SECRETS_DIR = BUILD_DIR / "secrets"


def local_secret(name: str, directory: Path | None = None) -> str:
    """The checkout's secret ``name``, created atomically on first use (two processes get the same one)."""
    folder = directory or SECRETS_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    if not path.exists():
        candidate = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
        try:
            os.link(candidate, path)  # fails if another process got there first: theirs wins
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()
    return path.read_text().strip()
