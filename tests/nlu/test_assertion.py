"""The copilot's assertion, in both runtimes (pure Python on PyJWT): what makes one valid, and what not."""

import time
from collections.abc import Callable

import pytest

from nlu.assertion import MAX_TTL_S, AssertionRefused, make_assertion, verify_assertion

SECRET = "the-internal-secret-of-these-tests-0123456789"
TEXT = "quelle est la date de fin d'engagement ?"


def make(**kw: object) -> str:
    args: dict = {"advisor": "n1.demo", "call_id": "call-1", "customer_id": 1, "text": TEXT} | kw
    return make_assertion(SECRET, **args)


def test_a_genuine_assertion_names_the_advisor_call_and_customer() -> None:
    claim = verify_assertion(make(), SECRET, call_id="call-1", text=TEXT)
    assert (claim.advisor, claim.call_id, claim.customer_id) == ("n1.demo", "call-1", 1)
    assert verify_assertion(make(customer_id=None), SECRET, call_id="call-1").customer_id is None
    assert verify_assertion(make(), SECRET, call_id="call-1", text=f"  {TEXT} ").advisor == "n1.demo"  # as Rasa strips


@pytest.mark.parametrize(("token", "call_id", "text", "why"), [
    (lambda: None, "call-1", TEXT, "no assertion"),
    (lambda: "", "call-1", TEXT, "no assertion"),
    (lambda: {"advisor": "sup.demo"}, "call-1", TEXT, "no assertion"),
    (lambda: "not.a.jwt", "call-1", TEXT, "invalid"),
    (lambda: make_assertion("another-secret-that-is-long-enough-0123456789", advisor="sup.demo", call_id="call-1",
                            customer_id=2, text=TEXT), "call-1", TEXT, "invalid"),
    (make, "call-2", TEXT, "another call"),
    (make, "call-1", "bonjour", "another message"),
    (lambda: make(ttl_s=-1), "call-1", TEXT, "expired"),
])
def test_anything_else_is_refused(token: Callable[[], object], call_id: str, text: str, why: str) -> None:
    with pytest.raises(AssertionRefused, match=why):  # tokens are made when the test runs, not when collected
        verify_assertion(token(), SECRET, call_id=call_id, text=text)


def test_an_assertion_lives_minutes_at_most() -> None:
    now = time.time()
    token = make_assertion(SECRET, advisor="n1.demo", call_id="c", customer_id=None, text="x", ttl_s=10**6, now=now)
    verify_assertion(token, SECRET, call_id="c", now=now + MAX_TTL_S - 1)
    with pytest.raises(AssertionRefused, match="expired"):
        verify_assertion(token, SECRET, call_id="c", now=now + MAX_TTL_S + 1)


def test_without_a_secret_nothing_is_verified() -> None:
    with pytest.raises(AssertionRefused, match="no secret"):
        verify_assertion(make(), "", call_id="call-1")
