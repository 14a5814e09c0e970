from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class CopilotSettings(BaseSettings):
    """Settings of the copilot service process (env prefix ``COPILOT_``)."""

    model_config = SettingsConfigDict(env_prefix="COPILOT_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    nlu_timeout_s: float = 2.0
    chat_timeout_s: float = 10.0
    health_timeout_s: float = 1.0
    low_confidence: float = 0.5
    call_idle_timeout_s: float = 7200.0  # a call with no event for this long is expired (ended, traced)
    # Where the trace journal lives (what a killed process recorded and did not commit yet, replayed at start);
    # default: beside the SQLite file (``<file>.journal``), else .build/journal/<database>
    journal_dir: Path | None = None
    transfer_routing: Path | None = None  # the site's transfer routing file (default: crm_core/transfers/routing.yml)
    ivr_menu: Path | None = None  # the IVR menu's keys → journeys (default: assistant/copilot/ivr_menu.yml)
    # The trainer's models (candidates, published, the repository's copy) and the link Rasa serves from
    # (default: .build/models/registry); Rasa loads a published model only from inside this folder
    models_dir: Path | None = None
    train_timeout_s: float = 900.0  # a candidate's training (and scoring) that runs longer is stopped, failed
    steering_poll_s: float = 0.5  # how often the steering's projector reads the new traces (the live view's lag)


@lru_cache
def get_copilot_settings() -> CopilotSettings:
    return CopilotSettings()
