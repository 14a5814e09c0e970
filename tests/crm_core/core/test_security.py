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

from crm_core.core.config import DEV_JWT_SECRET, CrmSettings
from crm_core.core.security import InvalidToken, issue_token, verify_token

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


def test_the_development_secret_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="COPILOT_JWT_SECRET"):
        CrmSettings(env="production", jwt_secret=DEV_JWT_SECRET)
    CrmSettings(env="production", jwt_secret="a-real-secret-from-the-vault-0123456789")


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
                           jwt_audience="mon-crm-copilot")
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
