"""No profile reads anywhere what it may not read in the 360° view: every seeded profile × every output.

Canary values of the demo seed (the guardian's name, the IBAN's last digits, the collection letter…) are
looked for in the serialized 360° view, its history, the eligibility reasons, the traces and the screen pop.
Each canary is first shown to appear where the supervisor reads it, so the test can fail.
"""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crm_core.seed.organisation import ADVISORS
from crm_core.services import fields
from crm_core.services import permission_filter as pf
from crm_core.services.habilitations import PROFILES
from tests.crm_core.screen_pops import pop_message
from tests.factories import auth

PROFILE_OF = {login: profile for login, _, profile, *_ in ADVISORS}
LOGINS = ["n1.demo", "n2.demo", "avsc.demo", "collection.demo", "sup.demo", "trainer.demo", "admin.demo"]
SPOKEN_IBAN = "GR16 0110 1250 0000 0001 2300 695"  # what the caller says in the pop's reason

# (canary, the 360° fields that may show it (any of), the outputs where the supervisor reads it)
CANARIES: list[tuple[str, set[str], set[str]]] = [
    ("Anne Lefèvre", {"guardianship"}, {"view360", "traces"}),
    ("tutelle", {"guardianship"}, {"view360", "traces"}),
    ("Mesure de protection modifiée", {"guardianship"}, {"view360", "history"}),
    ("guardianship.changed", {"guardianship"}, {"traces"}),
    ("•••• 0189", {"payment_method"}, {"view360", "traces"}),
    ("AGRIFRPP", {"payment_method"}, {"view360"}),
    ("Moyen de paiement modifié", {"payment_method"}, {"view360", "history"}),
    ("payment_method.changed", {"payment_method"}, {"traces"}),
    ("0110 1250 0000 0001 2300", {"payment_method"}, {"pop"}),
    ("relance", {"collection"}, {"view360", "history"}),
    ("recouvrement", {"collection"}, {"view360"}),
    ("Courrier de relance envoyé à la tutrice", {"collection"}, {"history"}),
    ("impayé", {"payer_quality", "invoice_history", "collection"}, {"view360", "eligibility"}),
]


def _edits_by_the_supervisor(api: TestClient) -> None:
    """A guardianship change, a payment-method change and an e-mail change of Jean-Pierre Lefèvre (id 2)."""
    sup = auth("sup.demo")
    r = api.put("/api/customers/2/guardianship", headers=sup, json={
        "kind": "tutelle", "guardian_name": "Mme Anne Lefèvre (fille)", "guardian_phone": "06 11 22 33 01",
        "guardian_email": "anne.lefevre@exemple.fr", "guardian_address": "8 rue de Siam, 29200 Brest"})
    assert r.status_code == 200, r.text
    r = api.put("/api/customers/2/payment-method", headers=sup, json={
        "kind": "direct_debit", "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP",
        "holder": "Jean-Pierre Lefèvre"})
    assert r.status_code == 200, r.text
    r = api.patch("/api/customers/2", headers=sup, json={"email": "jp.lefevre@exemple.org"})
    assert r.status_code == 200, r.text


def _outputs(api: TestClient, sessions: sessionmaker[Session], login: str) -> dict[str, Any]:
    """Everything the profile reads of customer 2, by output."""
    view = api.get("/api/customers/2/view360", headers=auth(login))
    traces = api.get("/api/customers/2/traces", params={"limit": 100}, headers=auth(login))
    by_name = {f["name"]: f for b in view.json().get("blocks", []) for f in b["fields"]}
    message = pop_message(sessions, 2, f"je change de banque, voici mon IBAN {SPOKEN_IBAN}", SPOKEN_IBAN)
    return {"status": (view.status_code, traces.status_code), "view360": view.json(), "traces": traces.json(),
            "history": by_name.get("history"), "eligibility": by_name.get("eligibility"),
            "pop": pf.pop(message, PROFILES[PROFILE_OF[login]][1])}


def _text(output: Any) -> str:
    return json.dumps(output, ensure_ascii=False).lower()


@pytest.mark.parametrize("login", LOGINS)
def test_no_profile_reads_elsewhere_what_it_may_not_read_in_the_360(
    api: TestClient, sessions: sessionmaker[Session], login: str
) -> None:
    _edits_by_the_supervisor(api)
    supervisor = _outputs(api, sessions, "sup.demo")
    for canary, _, where in CANARIES:  # the canaries are there for whom may see them
        for output in where:
            assert canary.lower() in _text(supervisor[output]), f"{canary!r} not in the supervisor's {output}"
    permissions = PROFILES[PROFILE_OF[login]][1]
    seen = _outputs(api, sessions, login)
    if "customer:read" not in permissions:
        assert seen["status"] == (403, 403) and seen["pop"]["restricted"] is True
    for canary, may_show, _ in CANARIES:
        if any(fields.can_see(permissions, f) for f in may_show):
            continue
        for output in ("view360", "history", "eligibility", "traces", "pop"):
            assert canary.lower() not in _text(seen[output]), f"{login} reads {canary!r} in the {output}"


def test_each_profile_sees_what_it_may_of_the_eligibility_and_the_history(api: TestClient) -> None:
    def field(login: str, name: str, customer_id: int = 2) -> dict:
        view = api.get(f"/api/customers/{customer_id}/view360", headers=auth(login)).json()
        return next(f for b in view["blocks"] for f in b["fields"] if f["name"] == name)

    for login, unpaid in (("avsc.demo", False), ("n1.demo", True), ("collection.demo", True), ("sup.demo", True)):
        verdicts = {v["offer_code"]: v for v in field(login, "eligibility")["value"]}
        conv = verdicts["CONV_FAMILLE"]
        assert conv["eligible"] is False, "a hidden reason never makes an offer eligible"
        assert ("impayé en cours" in conv["reasons"]) is unpaid, login
        assert (pf.NEUTRAL_REASON in conv["reasons"]) is not unpaid, login
        assert "fibre non déployée à l'adresse" in conv["reasons"], "the address is everyone's"
    letter = "Courrier de relance envoyé à la tutrice"
    for login, shown in (("n1.demo", False), ("n2.demo", False), ("avsc.demo", False), ("collection.demo", True),
                         ("sup.demo", True)):
        assert (letter in " ".join(field(login, "history")["display"])) is shown, login
    # customer 1: the invoice sent by e-mail is billing, the wifi call is after-sales support
    assert any("facture de novembre" in x for x in field("n1.demo", "history", 1)["display"])
    assert not any("facture de novembre" in x for x in field("n2.demo", "history", 1)["display"])
    assert any("Coupures wifi" in x for x in field("n2.demo", "history", 1)["display"])


def test_the_traces_api_hides_the_guardianship_and_payment_changes_from_n2_and_avsc(api: TestClient) -> None:
    _edits_by_the_supervisor(api)

    def names(login: str) -> list[str]:
        r = api.get("/api/customers/2/traces", params={"limit": 100}, headers=auth(login))
        assert r.status_code == 200, r.text
        return [t["name"] for t in r.json()["items"]]

    supervisor = names("sup.demo")
    assert {"guardianship.changed", "payment_method.changed", "customer.updated"} <= set(supervisor)
    for login in ("n2.demo", "avsc.demo"):
        seen = names(login)
        assert "guardianship.changed" not in seen and "payment_method.changed" not in seen, login
        assert "customer.updated" in seen, "the e-mail change is identification: theirs to see"
    assert api.get("/api/customers/2/view360", headers=auth("sup.demo")).status_code == 200
    n1 = names("n1.demo")
    assert "guardianship.changed" in n1 and "payment_method.changed" in n1
    items = api.get("/api/customers/2/traces", params={"limit": 100}, headers=auth("n2.demo")).json()["items"]
    read = next(t for t in items if t["name"] == "customer.read" and t["actor"] == "sup.demo")
    assert "guardianship" not in read["data"]["fields"] and "identity" in read["data"]["fields"]
    assert read["data"]["sensitive"] == ["electronic_tag"], "n2 has field:electronic_tag, not the others"


def test_the_traces_pages_count_only_what_the_profile_sees(api: TestClient) -> None:
    _edits_by_the_supervisor(api)
    for login in ("avsc.demo", "sup.demo", "avsc.demo"):
        assert api.get("/api/customers/2/view360", headers=auth(login)).status_code == 200
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/api/customers/2/traces", params=params, headers=auth("avsc.demo")).json()
        assert len(page["items"]) <= 2
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = api.get("/api/customers/2/traces", params={"limit": 100}, headers=auth("avsc.demo")).json()
    assert seen == [t["id"] for t in everything["items"]] and len(seen) == 4
