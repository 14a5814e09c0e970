"""Settings of the CRM core, read from the environment (prefix ``COPILOT_``)."""

import ipaddress
from functools import lru_cache
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm_core.core.paths import BUILD_DIR, REPO_ROOT
from crm_core.core.secrets import local_secret

__all__ = ["BUILD_DIR", "REPO_ROOT", "CrmSettings", "get_crm_settings", "is_loopback"]


class CrmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COPILOT_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{BUILD_DIR / 'crm.sqlite3'}"
    sql_echo: bool = False

    # Bearer tokens. Development: HS256 tokens from our own issuer (`copilot token --user LOGIN`).
    # Production: the site's OIDC provider, verified against its JWKS (RS256/ES256).
    jwt_secret: str | None = None  # outside production: made once per checkout (.build/secrets/)
    jwt_issuer: str = "mon-crm-dev"
    jwt_audience: str = "mon-crm-copilot"
    token_ttl_minutes: int = 600
    oidc_jwks_url: str | None = None
    oidc_issuer: str | None = None
    # The claim that names the advisor: ``sub`` unless the site's provider has another *stable* one.
    login_claim: str = "sub"
    # How long a panel may keep renewing its token without signing in again.
    session_max_hours: float = 12.0

    # Secrets between our own processes. Outside production, unset ones are made once per checkout
    # (``.build/secrets/``); production refuses to start without them.
    bridge_token: SecretStr | None = None  # telephony adapters present it on /ws/bridge
    rasa_token: SecretStr | None = None  # Rasa's HTTP API (--auth-token): only the copilot calls it
    internal_secret: SecretStr | None = None  # signs the copilot's assertions to Rasa and the actions
    assertion_ttl_s: int = 120
    # Browser origins allowed on the websockets besides the app's own (an adapter sends no Origin).
    allowed_origins: list[str] = []

    @model_validator(mode="after")
    def _no_dev_secret_in_production(self) -> "CrmSettings":
        if self.jwt_secret is None:
            if self.env == "production" and self.oidc_jwks_url is None:
                raise ValueError("COPILOT_JWT_SECRET must be set (or COPILOT_OIDC_JWKS_URL) when "
                                 "COPILOT_ENV=production")
            self.jwt_secret = local_secret("jwt_secret")
        for name in ("bridge_token", "rasa_token", "internal_secret"):
            value: SecretStr | None = getattr(self, name)
            if value is not None and len(value.get_secret_value()) < 32:
                raise ValueError(f"COPILOT_{name.upper()} is too short (32 characters at least)")
            if value is None:
                if self.env == "production":
                    raise ValueError(f"COPILOT_{name.upper()} must be set when COPILOT_ENV=production")
                setattr(self, name, SecretStr(local_secret(name)))
        return self

    def secret(self, name: Literal["bridge_token", "rasa_token", "internal_secret"]) -> str:
        value: SecretStr | None = getattr(self, name)
        assert value is not None  # filled by the validator
        return value.get_secret_value()


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@lru_cache
def get_crm_settings() -> CrmSettings:
    return CrmSettings()
