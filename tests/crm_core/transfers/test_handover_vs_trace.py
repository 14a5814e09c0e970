"""The handover of every journey's transfer against what really happened: each fact of it is found in the
call's trace or in the 360° view read apart, and nothing the journey needs is missing. In-process app on
SQLite and PostgreSQL; Rasa is down (the journey is set by the advisor, the reason comes from the bridge)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.catalogue import ACTS, JOURNEY_CODES, label_for
from crm_core.core.db import transaction
from crm_core.services import fields as catalogue
from crm_core.services import tracing
from crm_core.services.customers import CustomerService
from crm_core.services.habilitations import actor_for
from crm_core.transfers import routing as transfer_routing
from crm_core.transfers.handover import DIAGNOSTIC_ACTS, FLAG_FIELDS
from tests.factories import app_without_rasa, auth, present_and_look_up

N1 = "n1.demo"
UNKNOWN = "06 99 88 77 66"
# journey → (the caller's number, their words, the acts the advisor does: (code, params))
CALLS: dict[str, tuple[str, str, list[tuple[str, dict[str, Any]]]]] = {
    "become_customer": (UNKNOWN, "je voudrais la fibre chez moi", [("check_eligibility", {"postcode": "69003"})]),
    "change_offer": ("07 12 34 56 78", "je veux un forfait avec plus de data", [("recommend_offers", {})]),
    "move": ("07 55 44 33 22", "je déménage à Paris le mois prochain", [("check_eligibility", {"postcode": "75019"})]),
    "withdraw": ("07 55 44 33 22", "je veux annuler ma commande", []),
    "terminate": ("07 11 22 33 44", "je veux résilier ma ligne", [("check_commitment_end", {})]),
    "manage_account": ("07 12 34 56 78", "il me faut mon RIO", [("give_rio", {"line": "1"})]),
    "billing_payment": ("07 98 76 54 32", "je ne comprends pas ma facture, c'est inadmissible",
                        [("give_rio", {"line": "3"})]),
    "breakdown": ("07 12 34 56 78", "ma box coupe tout le temps", [
        ("diagnose_line", {"line": "2"}),
        ("run_script", {"line": "2", "script": "wifi_coupures", "steps": ["voyants", "redemarrage"],
                        "solved": False})]),
    "usage_help": ("07 12 34 56 78", "je n'arrive pas à avoir la télé",
                   [("run_script", {"line": "2", "script": "tv_pas_d_image", "steps": ["source"], "solved": False})]),
    "complaint": ("07 11 22 33 44", "je conteste encore les frais de roaming, j'en ai marre",
                  [("review_complaints", {}), ("open_complaint", {"summary": "Frais de roaming contestés à nouveau"})]),
    "out_of_scope": ("07 12 34 56 78", "quel temps fera-t-il demain", []),
}


@pytest.fixture
def api(sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with TestClient(app_without_rasa(sessions.kw["bind"])) as client:
        yield client


def _call(api: TestClient, call_id: str, number: str, reason: str) -> None:
    present_and_look_up(api, call_id, N1, number, reason)


def test_every_journeys_handover_says_what_the_trace_and_the_360_say(api: TestClient,
                                                                    sessions: sessionmaker[Session]) -> None:
    assert set(CALLS) == set(JOURNEY_CODES)
    routing = transfer_routing.load()
    with sessions() as s:
        n1 = actor_for(s, N1)
    for journey, (number, words, acts) in CALLS.items():
        call_id = f"handover-{journey}"
        _call(api, call_id, number, words)
        assert api.post(f"/api/calls/{call_id}/journey", json={"journey": journey}, headers=auth(N1)).status_code == 200
        customer_id = api.app.state.calls.calls[call_id].customer.id if number != UNKNOWN else None  # type: ignore[attr-defined]
        for code, params in acts:
            r = api.post(f"/api/acts/{code}/execute", json={"customer_id": customer_id, "params": params},
                         headers=auth(N1) | {"X-Call-Id": call_id})
            assert r.status_code == 200, (journey, code, r.text)
        draft = api.get(f"/api/calls/{call_id}/transfer", params={"checked": ["identity_checked"]},
                        headers=auth(N1))
        assert draft.status_code == 200, (journey, draft.text)
        h = draft.json()["handover"]

        with sessions() as s:
            trace = tracing.for_call(s, call_id)
            done = [t for t in trace if t.name == "act.done"]
            # the caller's words and the journey, as the call said them
            assert h["reason"]["text"] == words, journey
            assert h["journey"] == {"code": journey, "label": label_for(journey), "corrected": True, "predicted": None}
            # every act done, and only those, in their order, with what each one said
            assert [(a["act"], a["label"], a["summary"], a["by"]) for a in h["acts_done"]] == [
                (t.data["act"], t.data["label"], t.data["summary"], t.actor) for t in done], journey
            assert [a["act"] for a in h["acts_done"]] == [code for code, _ in acts], journey
            assert [d["act"] for d in h["diagnostics_tried"]] == [c for c, _ in acts if c in DIAGNOSTIC_ACTS]
            for d in h["diagnostics_tried"]:
                traced = next(t for t in done if t.data["act"] == d["act"])
                assert d["result"] == traced.data["summary"]
                assert d["solved"] == (traced.data["result"].get("solved") if d["act"] == "run_script" else None)
            # the customer's facts: the journey's own, each as the 360° view shows it to the advisor
            if customer_id is None:
                assert h["customer_facts"] == [] and h["identity_check"]["identified_by"] is None, journey
            else:
                wanted = [f for f in routing.facts_for(journey) if catalogue.can_see(n1.permissions, f)]
                assert [f["field"] for f in h["customer_facts"]] == wanted, journey
                view = {f["name"]: f for f in CustomerService(s, n1).fields(
                    customer_id, list(dict.fromkeys([*wanted, *[f for f in FLAG_FIELDS
                                                               if catalogue.can_see(n1.permissions, f)]])))}
                for fact in h["customer_facts"]:
                    assert fact["display"] == view[fact["field"]]["display"], (journey, fact["field"])
                    assert fact["priority"] == catalogue.BY_NAME[fact["field"]].priority
                assert h["identity_check"] == {"checked": True, "source": "advisor", "identified_by": "line"}
                _flags_are_in_the_360(h, view, journey)
            # nothing left to do that the trace does not show
            for item in h["remaining"]:
                if item["source"] == "script":
                    assert any(t.data["act"] == "run_script" and not t.data["result"]["solved"] for t in done)
                assert item["source"] != "act_refused" or any(t.name == "act.refused" for t in trace)
            # and the prerequisites said done by the trace are in it
            steps_done = {s["id"] for t in done if t.data["act"] == "run_script"
                          for s in t.data["result"]["steps"] if s["done"]}
            for p in draft.json()["prerequisites"]:
                if p["source"] == "trace" and p["code"] != "customer_identified":
                    spec = routing.prerequisites[p["code"]].done_by
                    assert spec is not None
                    assert any(t.data["act"] in spec.acts for t in done) or set(spec.script_steps) & steps_done, p


def _flags_are_in_the_360(h: dict[str, Any], view: dict[str, dict[str, Any]], journey: str) -> None:
    codes = {f["code"]: f for f in h["flags"]}
    assert ("guardianship" in codes) == bool(view["guardianship"]["value"]), journey
    assert ("electronic_tag" in codes) == bool(view["electronic_tag"]["value"]), journey
    debt = float(view["balance"]["value"]) < 0 if "balance" in view else False
    assert ("debt" in codes) == (debt or bool(view.get("collection", {}).get("value"))), journey
    for code, field in (("guardianship", "guardianship"), ("electronic_tag", "electronic_tag")):
        if code in codes:
            shown = view[field]["display"]
            assert codes[code]["detail"] == (" ; ".join(shown) if isinstance(shown, list) else shown)
    if "unhappy" in codes:
        detail = codes["unhappy"]["detail"]
        words = detail.removesuffix(" (mots du client)").split(",")
        assert words and all(w.strip(" «»") in h["reason"]["text"] for w in words), detail


def test_the_stored_handover_is_the_draft_and_each_act_in_it_exists(api: TestClient,
                                                                    sessions: sessionmaker[Session]) -> None:
    number, words, acts = CALLS["breakdown"]
    _call(api, "handover-stored", number, words)
    api.post("/api/calls/handover-stored/journey", json={"journey": "breakdown"}, headers=auth(N1))
    for code, params in acts:
        api.post(f"/api/acts/{code}/execute", json={"customer_id": 1, "params": params},
                 headers=auth(N1) | {"X-Call-Id": "handover-stored"})
    draft = api.get("/api/calls/handover-stored/transfer", params={"checked": ["identity_checked"]},
                    headers=auth(N1)).json()
    sent = api.post("/api/calls/handover-stored/transfer", json={"mode": "cold", "to": "N2-TECH",
                                                                 "checked": ["identity_checked"]}, headers=auth(N1))
    assert sent.status_code == 200, sent.text
    stored = sent.json()["handover"]
    assert {k: v for k, v in stored.items() if k != "text"} == {k: v for k, v in draft["handover"].items()
                                                                 if k != "text"}
    assert all(a["act"] in ACTS for a in stored["acts_done"])
    # the breakdown's prerequisites came from the trace: the diagnosis and the box restarted in the script
    sources = {p["code"]: p["source"] for p in sent.json()["prerequisites"]}
    assert sources == {"customer_identified": "trace", "identity_checked": "advisor", "line_diagnosed": "trace",
                       "box_restarted": "trace", "line_test": None, "ticket_opened": "trace"}
    with transaction(sessions) as s:
        names = [t.name for t in tracing.for_call(s, "handover-stored")]
    assert names.count("transfer.requested") == 1 and "transfer.prerequisites_checked" in names
