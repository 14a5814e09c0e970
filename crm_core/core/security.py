"""Bearer tokens: issued by our own issuer (HS256), or by the site's OIDC provider (verified by JWKS).

The advisor's login is the ``sub`` claim, or another claim that settings name (``COPILOT_LOGIN_CLAIM``)
when the site's provider has a stable one; nothing else in a token decides who the bearer is.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

from crm_core.core.config import CrmSettings, get_crm_settings
from crm_core.models.base import utcnow


class InvalidToken(ValueError):
    """The token is missing, malformed, expired or not ours (message in French, the same for every cause
    that could tell an attacker which logins exist)."""


REFUSED = "Jeton d'authentification invalide."


@dataclass(frozen=True)
class TokenClaims:
    login: str
    expires_at: datetime
    auth_time: datetime  # when the advisor signed in; renewals keep it


def _secret(s: CrmSettings) -> str:
    assert s.jwt_secret is not None  # filled by the settings' validator
    return s.jwt_secret


def issue_token(login: str, settings: CrmSettings | None = None, ttl: timedelta | None = None,
                auth_time: datetime | None = None) -> str:
    """A token of our own issuer for ``login`` (HS256, signed with the configured secret)."""
    s = settings or get_crm_settings()
    now = utcnow()
    claims = {"sub": login, "iss": s.jwt_issuer, "aud": s.jwt_audience, "iat": now,
              "exp": now + (ttl or timedelta(minutes=s.token_ttl_minutes)),
              "auth_time": int((auth_time or now).timestamp())}
    return jwt.encode(claims, _secret(s), algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


def verify(token: str, settings: CrmSettings | None = None) -> TokenClaims:
    """The claims of a valid token: login, expiry, sign-in time."""
    s = settings or get_crm_settings()
    if not token:
        raise InvalidToken("Authentification requise.")
    try:
        if s.oidc_jwks_url:
            key = _jwks_client(s.oidc_jwks_url).get_signing_key_from_jwt(token).key
            claims = jwt.decode(token, key, algorithms=["RS256", "ES256"], audience=s.jwt_audience,
                                issuer=s.oidc_issuer, options={"require": ["exp", "iss", "aud"]})
        else:
            claims = jwt.decode(token, _secret(s), algorithms=["HS256"], audience=s.jwt_audience,
                                issuer=s.jwt_issuer, options={"require": ["exp", "iss", "aud", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("Session expirée : reconnectez-vous.") from exc
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(REFUSED) from exc
    login = claims.get(s.login_claim)
    if not isinstance(login, str) or not login or len(login) > 80:
        raise InvalidToken(REFUSED)
    expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    auth_time = claims.get("auth_time", claims.get("iat"))
    signed_in = datetime.fromtimestamp(int(auth_time), UTC) if isinstance(auth_time, int | float) else expires_at
    return TokenClaims(login, expires_at, signed_in)


def verify_token(token: str, settings: CrmSettings | None = None) -> str:
    """The login of a valid token."""
    return verify(token, settings).login


def renew_token(claims: TokenClaims, settings: CrmSettings | None = None) -> str:
    """A fresh token of our own issuer for a still-valid one, within the session's maximum length."""
    s = settings or get_crm_settings()
    if s.oidc_jwks_url:
        raise InvalidToken("Renouvellement impossible ici : reconnectez-vous par le portail de l'entreprise.")
    if utcnow() - claims.auth_time > timedelta(hours=s.session_max_hours):
        raise InvalidToken("Session trop ancienne : reconnectez-vous.")
    return issue_token(claims.login, s, auth_time=claims.auth_time)
