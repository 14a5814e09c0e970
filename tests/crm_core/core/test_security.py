import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from crm_core.core.config import CrmSettings
from crm_core.core.security import InvalidToken, issue_token, renew_token, verify, verify_token
from crm_core.models.base import utcnow

PRODUCTION_SECRETS = {"bridge_token": "b" * 32, "rasa_token": "r" * 32, "internal_secret": "i" * 32}

DEV = CrmSettings(env="test", jwt_secret="a-test-secret-of-at-least-32-bytes-long!")


def test_a_development_token_round_trips() -> None:
    assert verify_token(issue_token("n1.demo", DEV), DEV) == "n1.demo"


@pytest.mark.parametrize("tamper", ["expired", "other_secret", "other_audience", "garbage", "empty"])
def test_bad_tokens_are_refused_in_french(tamper: str) -> None:
    token = {
        "expired": lambda: issue_token("n1.demo", DEV, ttl=timedelta(seconds=-5)),
        "other_secret": lambda: issue_token("n1.demo", DEV.model_copy(update={"jwt_secret": "x" * 40})),
        "other_audience": lambda: issue_token("n1.demo", DEV.model_copy(update={"jwt_audience": "elsewhere"})),
        "garbage": lambda: "not.a.token",
        "empty": lambda: "",
    }[tamper]()
    with pytest.raises(InvalidToken) as caught:
        verify_token(token, DEV)
    assert any(word in str(caught.value) for word in ("expirée", "invalide", "requise"))


def test_production_refuses_to_start_without_each_of_its_secrets() -> None:
    with pytest.raises(ValueError, match="COPILOT_JWT_SECRET"):
        CrmSettings(env="production", **PRODUCTION_SECRETS)
    for missing in PRODUCTION_SECRETS:
        others = {k: v for k, v in PRODUCTION_SECRETS.items() if k != missing}
        with pytest.raises(ValueError, match=f"COPILOT_{missing.upper()}"):
            CrmSettings(env="production", jwt_secret="a-real-secret-from-the-vault-0123456789", **others)
    with pytest.raises(ValueError, match="too short"):
        CrmSettings(env="production", jwt_secret="a-real-secret-from-the-vault-0123456789",
                    **(PRODUCTION_SECRETS | {"bridge_token": "1234"}))
    CrmSettings(env="production", jwt_secret="a-real-secret-from-the-vault-0123456789", **PRODUCTION_SECRETS)


def test_outside_production_each_checkout_makes_its_own_secrets_once(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import crm_core.core.secrets as secrets_module

    monkeypatch.setattr(secrets_module, "SECRETS_DIR", tmp_path / "secrets")
    first, second = CrmSettings(env="development"), CrmSettings(env="development")
    assert first.secret("bridge_token") == second.secret("bridge_token")
    assert len({first.secret("bridge_token"), first.secret("rasa_token"), first.secret("internal_secret"),
                first.jwt_secret}) == 4  # four different secrets, none of them in the repository
    assert (tmp_path / "secrets" / "rasa_token").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_the_login_is_the_sub_claim_whatever_else_a_token_says() -> None:
    claims = {"sub": "n1.demo", "preferred_username": "sup.demo", "iss": DEV.jwt_issuer, "aud": DEV.jwt_audience,
              "exp": 4102444800}
    assert DEV.jwt_secret is not None
    token = jwt.encode(claims, DEV.jwt_secret, algorithm="HS256")
    assert verify_token(token, DEV) == "n1.demo"
    assert verify_token(token, DEV.model_copy(update={"login_claim": "preferred_username"})) == "sup.demo"


def test_a_token_is_renewed_with_the_same_sign_in_time_until_the_session_is_too_old() -> None:
    token = issue_token("n1.demo", DEV, ttl=timedelta(minutes=5))
    renewed = verify(renew_token(verify(token, DEV), DEV), DEV)
    assert renewed.login == "n1.demo" and renewed.expires_at > verify(token, DEV).expires_at
    assert renewed.auth_time == verify(token, DEV).auth_time
    old = issue_token("n1.demo", DEV, auth_time=utcnow() - timedelta(hours=DEV.session_max_hours + 1))
    with pytest.raises(InvalidToken, match="trop ancienne"):
        renew_token(verify(old, DEV), DEV)


@pytest.fixture
def jwks_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JWKS endpoint on loopback, standing for the site's OIDC provider."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", tmp_path / "jwks.json"
    server.shutdown()
    server.server_close()


def test_tokens_of_the_sites_oidc_provider_are_verified_by_its_jwks(jwks_server: tuple[str, Path]) -> None:
    url, jwks = jwks_server
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks.write_text(json.dumps({"keys": [jwk | {"kid": "site-key-1", "use": "sig", "alg": "RS256"}]}))
    settings = CrmSettings(env="production", oidc_jwks_url=url, oidc_issuer="https://sso.exemple.fr",
                           jwt_audience="mon-crm-copilot", login_claim="preferred_username", **PRODUCTION_SECRETS)
    claims = {"preferred_username": "n2.demo", "sub": "f3c1-uuid", "iss": "https://sso.exemple.fr",
              "aud": "mon-crm-copilot", "exp": 4102444800}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "site-key-1"})
    assert verify_token(token, settings) == "n2.demo"
    forged = jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256",
                        headers={"kid": "site-key-1"})
    with pytest.raises(InvalidToken):
        verify_token(forged, settings)
    with pytest.raises(InvalidToken):  # our development tokens mean nothing to a site on OIDC
        verify_token(issue_token("n2.demo"), settings)
