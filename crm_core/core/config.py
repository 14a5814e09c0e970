"""Settings of the CRM core, read from the environment (prefix ``COPILOT_``)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / ".build"
DEV_JWT_SECRET = "dev-only-secret-not-for-production-0123456789"  # noqa: S105 - refused outside development


class CrmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COPILOT_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{BUILD_DIR / 'crm.sqlite3'}"
    sql_echo: bool = False

    # Bearer tokens. Development: HS256 tokens from our own issuer (`copilot token --user LOGIN`).
    # Production: the site's OIDC provider, verified against its JWKS (RS256/ES256).
    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "mon-crm-dev"
    jwt_audience: str = "mon-crm-copilot"
    token_ttl_minutes: int = 600
    oidc_jwks_url: str | None = None
    oidc_issuer: str | None = None

    @model_validator(mode="after")
    def _no_dev_secret_in_production(self) -> "CrmSettings":
        if self.env == "production" and self.oidc_jwks_url is None and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("COPILOT_JWT_SECRET must be set (or COPILOT_OIDC_JWKS_URL) when COPILOT_ENV=production")
        return self


@lru_cache
def get_crm_settings() -> CrmSettings:
    return CrmSettings()
