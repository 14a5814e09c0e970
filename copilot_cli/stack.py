"""The three processes of a running copilot, supervised: Rasa server, action server, app.

Each process runs in its own process group with its output in ``<logs>/<name>.log``; one that dies is
restarted (with a back-off) unless it keeps dying; stop() ends them all (SIGTERM, then SIGKILL).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from assistant.model_store import rasa_env, rasa_python
from crm_core.core.config import BUILD_DIR, REPO_ROOT, CrmSettings, get_crm_settings, is_loopback

if TYPE_CHECKING:
    from trainer.registry import Prepared


def serving_model(repository_model: Path, database_url: str | None, models_dir: Path | None) -> "Prepared":
    """The model Rasa starts with: the one the trainers published, else the repository's (``trainer.registry``)."""
    from crm_core.core.db import create_schema, make_engine, session_factory
    from trainer.registry import prepare_serving

    engine = make_engine(database_url or get_crm_settings().database_url)
    try:
        create_schema(engine)
        return prepare_serving(session_factory(engine), repository_model, models_dir)
    finally:
        engine.dispose()


class PortBusy(RuntimeError):
    pass


class NotLoopback(ValueError):
    """Rasa and the action server trust only the copilot: they listen on loopback, never elsewhere."""


def port_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def check_port_free(host: str, port: int, what: str, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise PortBusy(
                f"port {port} on {host} ({what}) is busy: stop what uses it (`ss -ltnp | grep :{port}`) "
                f"or set {setting} to use another port"
            ) from exc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.starts.append(time.monotonic())

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace_s: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # The leader first, so that it can stop its own workers cleanly; then whatever is left of the group.
        try:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(5)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class StackConfig:
    model: Path
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    database_url: str | None = None
    logs: Path = BUILD_DIR / "logs"
    extra_env: dict[str, str] = field(default_factory=dict)
    settings: CrmSettings | None = None  # where the shared secrets come from (default: the environment's)

    @property
    def app_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class Stack:
    def __init__(self, config: StackConfig, say: Callable[[str], None] = print) -> None:
        self.config = config
        self.say = say
        self.processes = self._processes()

    def _processes(self) -> list[Process]:
        c = self.config
        rasa_host, rasa_port = port_of(c.rasa_url)
        act_host, act_port = port_of(c.actions_url)
        for what, host in (("COPILOT_RASA_URL", rasa_host), ("COPILOT_ACTIONS_URL", act_host)):
            if not is_loopback(host):
                raise NotLoopback(f"{what} must name a loopback address (127.0.0.1): Rasa and the action server "
                                  f"trust only the copilot on this host, not {host}")
        base_env = dict(os.environ) | c.extra_env
        base_env.update({
            "COPILOT_HOST": c.host, "COPILOT_PORT": str(c.port),
            "COPILOT_RASA_URL": c.rasa_url, "COPILOT_ACTIONS_URL": c.actions_url,
            "PYTHONUNBUFFERED": "1",
        })
        if c.database_url:
            base_env["COPILOT_DATABASE_URL"] = c.database_url
        # The secrets the three processes share, from the settings (made once per checkout outside production).
        settings = c.settings or get_crm_settings()
        base_env.update({"COPILOT_BRIDGE_TOKEN": settings.secret("bridge_token"),
                         "COPILOT_RASA_TOKEN": settings.secret("rasa_token"),
                         "COPILOT_INTERNAL_SECRET": settings.secret("internal_secret"),
                         "COPILOT_JWT_SECRET": settings.jwt_secret or ""})
        r_env = rasa_env() | {k: v for k, v in base_env.items() if k.startswith("COPILOT_")}
        r_env["COPILOT_ACTIONS_WEBHOOK_URL"] = c.actions_url.rstrip("/") + "/webhook"
        work = BUILD_DIR / "rasa-work"
        work.mkdir(parents=True, exist_ok=True)
        return [
            Process("rasa", [str(rasa_python()), "-m", "nlu.serve", "--enable-api", "--model", str(c.model),
                             "--interface", rasa_host, "--port", str(rasa_port),
                             "--credentials", str(REPO_ROOT / "assistant" / "credentials.yml"),
                             "--endpoints", str(REPO_ROOT / "assistant" / "endpoints.yml")],
                    r_env, work, c.logs / "rasa.log"),
            Process("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(act_port)],
                    base_env | {"SANIC_HOST": act_host}, REPO_ROOT, c.logs / "actions.log"),
            Process("app", [sys.executable, "-m", "copilot_cli", "serve"], base_env, REPO_ROOT, c.logs / "app.log"),
        ]

    def check_ports(self) -> None:
        c = self.config
        check_port_free(c.host, c.port, "app", "COPILOT_PORT")
        check_port_free(*port_of(c.rasa_url), "Rasa server", "COPILOT_RASA_URL")
        check_port_free(*port_of(c.actions_url), "action server", "COPILOT_ACTIONS_URL")

    def start(self) -> None:
        self.check_ports()
        for p in self.processes:
            p.start()

    def wait_healthy(self, timeout_s: float = 180.0, should_stop: Callable[[], bool] = lambda: False) -> dict:
        deadline = time.monotonic() + timeout_s
        last: dict = {}
        while time.monotonic() < deadline and not should_stop():
            for p in self.processes:
                if not p.alive():
                    raise RuntimeError(f"{p.name} exited during start-up:\n{p.tail()}")
            try:
                r = httpx.get(self.config.app_url + "/health", timeout=2)
                last = r.json()
                if r.status_code == 200:
                    return last
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        if should_stop():
            return last
        raise TimeoutError(f"stack not healthy after {timeout_s:.0f} s: {last}")

    def supervise(self, should_stop: Callable[[], bool], max_restarts: int = 5, window_s: float = 120.0) -> int:
        """Restart processes that die; give up (return 1) when one dies too often."""
        while not should_stop():
            for p in self.processes:
                if p.alive():
                    continue
                recent = [t for t in p.starts if time.monotonic() - t < window_s]
                code = p.proc.returncode if p.proc else None
                if len(recent) >= max_restarts:
                    self.say(f"{p.name} keeps exiting (code {code}); giving up. "
                             f"Last lines of {p.log_path}:\n{p.tail()}")
                    return 1
                delay = min(2 ** len(recent), 30)
                self.say(f"{p.name} exited (code {code}); restarting in {delay} s (log: {p.log_path})")
                time.sleep(delay)
                p.start()
            time.sleep(0.5)
        return 0

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.stop()
