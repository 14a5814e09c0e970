"""The one permission filter (crm_core.services.permission_filter), piece by piece."""

import json
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.models import Interaction
from crm_core.seed.catalogue import RULES
from crm_core.services import eligibility as elig
from crm_core.services import fields
from crm_core.services import permission_filter as pf
from crm_core.services.actor import Actor
from crm_core.services.customers import CustomerService
from crm_core.services.habilitations import PROFILES, NotAllowed
from tests.crm_core.screen_pops import pop_message
from tests.factories import advisor

N1, N2, AVSC, COLLECTION, SUP, TRAINER, ADMIN = (PROFILES[p][1] for p in (
    "n1_customer_contact", "n2_technical", "fleet_avsc", "collection", "supervisor", "trainer", "admin"))
IBAN = "FR76 3000 6000 0112 3456 7890 189"


# -- mask_ibans ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "masked"), [
    (f"mon IBAN est {IBAN} merci", "mon IBAN est [IBAN masqué] merci"),
    ("FR7630006000011234567890189", "[IBAN masqué]"),
    ("iban : fr7630006000011234567890189.", "iban : [IBAN masqué]."),
    ("ref XY12 FR7630006000011234567890189", "ref XY12 [IBAN masqué]"),  # a false start just before
    ("GR16 0110 1250 0000 0001 2300 695 et FR1420041010050500013M02606",
     "[IBAN masqué] et [IBAN masqué]"),
    ("FR76 3000 6000 0112 3456 7890 188 non", "FR76 3000 6000 0112 3456 7890 188 non"),  # bad checksum
    ("je déménage le 12 mars au 3 rue AB12 CD34", "je déménage le 12 mars au 3 rue AB12 CD34"),
    ("", ""),
])
def test_mask_ibans_masks_every_valid_iban_and_nothing_else(text: str, masked: str) -> None:
    assert pf.mask_ibans(text) == masked


# -- eligibility -----------------------------------------------------------------------------------------
def test_every_eligibility_rule_names_a_field_of_the_catalogue() -> None:
    assert {rule for _, _, rule, _, _ in RULES} <= set(elig.REVEALS)
    assert set(elig.REVEALS.values()) <= set(fields.BY_NAME)


def _verdicts() -> list[elig.Verdict]:
    return [elig.Verdict("CONV_FAMILLE", "Convergente", False,
                         ["fibre non déployée à l'adresse", "impayé en cours", "réservée aux particuliers"],
                         ["fibre_available", "no_unpaid", "segment"]),
            elig.Verdict("X", "Offre", False, ["impayé en cours", "règle inconnue"], ["no_unpaid", "new_rule"]),
            elig.Verdict("BOX_ADSL", "Box ADSL", True)]


def test_a_reason_the_profile_may_not_see_becomes_neutral_and_the_verdict_stays() -> None:
    avsc = pf.eligibility(_verdicts(), AVSC)
    assert avsc[0].reasons == ["fibre non déployée à l'adresse", pf.NEUTRAL_REASON, "réservée aux particuliers"]
    assert avsc[1].reasons == [pf.NEUTRAL_REASON], "two hidden reasons read as one"
    assert [v.eligible for v in avsc] == [False, False, True]
    sup = pf.eligibility(_verdicts(), SUP)
    assert "impayé en cours" in sup[0].reasons
    assert "impayé en cours" in pf.eligibility(_verdicts(), COLLECTION)[0].reasons
    assert sup[1].reasons == ["impayé en cours", pf.NEUTRAL_REASON], "a rule nobody tied to a field is hidden"
    assert "impayé en cours" in pf.eligibility(_verdicts(), N1)[0].reasons, "n1 reads the unpaid invoices anyway"
    untied = elig.Verdict("Y", "Offre", False, ["une raison sans règle"])
    assert pf.eligibility([untied], SUP)[0].reasons == [pf.NEUTRAL_REASON]


# -- traces ----------------------------------------------------------------------------------------------
def test_a_trace_shows_only_when_every_field_it_reveals_is_visible() -> None:
    change = {"changes": [{"field": "guardianship", "before": None,
                           "after": {"kind": "tutelle", "guardian_name": "Mme Anne Lefèvre (fille)"}}]}
    assert pf.trace("guardianship.changed", change, N2) is None
    assert pf.trace("guardianship.changed", change, AVSC) is None
    assert pf.trace("guardianship.changed", change, N1) == change
    assert pf.trace("customer.teleported", {}, SUP) is None, "deny by default"
    assert pf.trace("call.answered", {"caller_number": "+33798765432"}, frozenset()) is None


def test_an_edits_changes_and_lists_of_fields_are_cut_to_the_visible_ones() -> None:
    data = {"changes": [{"field": "email", "before": "a@b.fr", "after": "c@d.fr"},
                        {"field": "payment_method", "before": None, "after": {"iban": "FR76 •••• •••• 0189"}},
                        {"field": "secret_attribute", "before": 1, "after": 2}]}
    assert [c["field"] for c in pf.trace("customer.updated", data, N2)["changes"]] == ["email"]
    assert [c["field"] for c in pf.trace("customer.updated", data, SUP)["changes"]] == ["email", "payment_method"]
    assert pf.trace("customer.updated", {"changes": data["changes"][1:]}, N2) is None, "nothing left to show"
    read = {"view": "360", "fields": ["identity", "guardianship", "payer_quality", "collection"],
            "sensitive": ["guardianship", "collection"]}
    assert pf.trace("customer.read", read, N2) == {"view": "360", "fields": ["identity"], "sensitive": []}
    assert pf.trace("customer.read", read, N1)["sensitive"] == ["guardianship"]


def test_ibans_in_a_traces_free_text_are_masked_without_the_payment_method() -> None:
    said = {"text": f"voici mon IBAN {IBAN}", "entities": [{"entity": "iban", "value": IBAN}]}
    assert "3456" not in json.dumps(pf.trace("chat.asked", said, N2))
    assert pf.trace("chat.asked", said, N1) == said


def test_traces_leaves_the_hidden_items_out() -> None:
    items = [{"id": 2, "name": "guardianship.changed", "data": {"changes": [{"field": "guardianship"}]}},
             {"id": 1, "name": "customer.lookup", "data": {"by": "line"}}]
    assert [t["id"] for t in pf.traces(items, N2)] == [1]
    assert [t["id"] for t in pf.traces(items, SUP)] == [2, 1]


# -- the history ------------------------------------------------------------------------------------------
def test_an_interaction_is_shown_only_to_whom_may_see_what_it_is_about() -> None:
    items = [Interaction(summary=topic, topic=topic) for topic in ("general", "billing", "collection", "support",
                                                                    "no_such_topic")]
    assert [i.topic for i in pf.interactions(items, SUP)] == ["general", "billing", "collection", "support"]
    assert [i.topic for i in pf.interactions(items, N1)] == ["general", "billing", "support"]
    assert [i.topic for i in pf.interactions(items, N2)] == ["general", "support"]


# -- the screen pop ---------------------------------------------------------------------------------------
def _pop_message(sessions: sessionmaker[Session]) -> dict:
    message = pop_message(sessions, 2, f"je change de banque, mon IBAN est {IBAN}", IBAN)
    return {**message, "some_new_key": "not listed, so not shown"}


def test_a_pop_without_customer_read_carries_nothing_of_the_caller(sqlite_sessions: sessionmaker[Session]) -> None:
    for permissions in (TRAINER, ADMIN, frozenset()):
        shown = pf.pop(_pop_message(sqlite_sessions), permissions)
        assert shown["restricted"] is True and shown["customer"] is None
        assert shown["caller_number"] is None and shown["reason"] is None and shown["entities"] == []
        assert shown["journey"] == "billing" and shown["call_id"] == "c1"
        text = json.dumps(shown, ensure_ascii=False)
        for canary in ("Lefèvre", "98765432", "0189", "3456", "1947"):
            assert canary not in text, canary


def test_a_pop_shows_the_whole_customer_and_the_words_to_whom_may_see_them(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    message = _pop_message(sqlite_sessions)
    n1 = pf.pop(message, N1)
    assert n1["restricted"] is False and n1["customer"] == message["customer"]
    assert n1["reason"] == message["reason"] and n1["entities"] == message["entities"]
    assert n1["caller_number"] == "+33798765432" and "some_new_key" not in n1
    n2 = pf.pop(message, N2)
    assert n2["customer"] == message["customer"], "identification and offers: all of a CustomerPublic"
    assert n2["reason"] == "je change de banque, mon IBAN est [IBAN masqué]"
    assert n2["entities"] == [{"entity": "iban", "value": "[IBAN masqué]", "text": "[IBAN masqué]"}]
    assert message["reason"].endswith(IBAN), "the message itself is left as it was"


def test_a_pops_customer_keeps_only_the_attributes_of_visible_fields(sqlite_sessions: sessionmaker[Session]) -> None:
    message = _pop_message(sqlite_sessions)
    message["customer"]["favourite_colour"] = "bleu"
    identification_only = frozenset({"customer:read", "block:identification"})
    customer = pf.pop(message, identification_only)["customer"]
    assert "favourite_colour" not in customer and "lines" not in customer
    assert customer["last_name"] == "Lefèvre" and customer["birth_date"] == "1947-11-02"
    offers_only = frozenset({"customer:read", "block:offers"})
    shown = pf.pop(message, offers_only)
    assert set(shown["customer"]) == {"id", "identified", "version", "lines"}
    assert shown["caller_number"] is None and shown["reason"] is None, "the caller's number is identification"
    assert {"commitment_end", "offer_label", "number"} <= set(shown["customer"]["lines"][0])


# -- chat answers ------------------------------------------------------------------------------------------
def test_the_commitment_answer_needs_the_commitment_field(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as db:
        lines = CustomerService(db, advisor("n2_technical")).commitment_ends(1)
    assert any(li.commitment_end == date(2027, 9, 1) for li in lines)
    no_offers = Actor("someone", "custom", permissions=frozenset({"customer:read", "block:identification"}))
    with transaction(sessions) as db, pytest.raises(NotAllowed, match="Activation et engagement"):
        CustomerService(db, no_offers).commitment_ends(1)
