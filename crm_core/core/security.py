"""Bearer tokens: issued by our development issuer, or by the site's OIDC provider (verified by JWKS)."""

from datetime import timedelta
from functools import lru_cache

import jwt

from crm_core.core.config import CrmSettings, get_crm_settings
from crm_core.models.base import utcnow


class InvalidToken(ValueError):
    """The token is missing, malformed, expired or not ours (message in French)."""


def issue_token(login: str, settings: CrmSettings | None = None, ttl: timedelta | None = None) -> str:
    """A development token for ``login`` (HS256, signed with the configured secret)."""
    s = settings or get_crm_settings()
    now = utcnow()
    claims = {"sub": login, "iss": s.jwt_issuer, "aud": s.jwt_audience, "iat": now,
              "exp": now + (ttl or timedelta(minutes=s.token_ttl_minutes))}
    return jwt.encode(claims, s.jwt_secret, algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


def verify_token(token: str, settings: CrmSettings | None = None) -> str:
    """Return the login (``sub``, or ``preferred_username`` from OIDC) of a valid token."""
    s = settings or get_crm_settings()
    if not token:
        raise InvalidToken("Authentification requise.")
    try:
        if s.oidc_jwks_url:
            key = _jwks_client(s.oidc_jwks_url).get_signing_key_from_jwt(token).key
            claims = jwt.decode(token, key, algorithms=["RS256", "ES256"], audience=s.jwt_audience,
                                issuer=s.oidc_issuer, options={"require": ["exp", "iss", "aud"]})
        else:
            claims = jwt.decode(token, s.jwt_secret, algorithms=["HS256"], audience=s.jwt_audience,
                                issuer=s.jwt_issuer, options={"require": ["exp", "iss", "aud", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("Session expirée : reconnectez-vous.") from exc
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken("Jeton d'authentification invalide.") from exc
    login = claims.get("preferred_username") or claims.get("sub")
    if not isinstance(login, str) or not login:
        raise InvalidToken("Jeton sans identifiant de conseiller.")
    return login
