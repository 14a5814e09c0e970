"""Settings of the CRM core, read from the environment (prefix ``COPILOT_``)."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / ".build"


class CrmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COPILOT_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{BUILD_DIR / 'crm.sqlite3'}"
    sql_echo: bool = False


@lru_cache
def get_crm_settings() -> CrmSettings:
    return CrmSettings()
