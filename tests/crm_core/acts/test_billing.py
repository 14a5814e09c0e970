"""Journey "billing_payment": the invoice explained, the payment method, a payment extension, a duplicate."""

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.base import ActRefused
from crm_core.acts.billing import invoice_status
from crm_core.core.db import transaction
from crm_core.models import Account, CollectionCase, Customer, Interaction, Invoice, PaymentMethod
from crm_core.services.habilitations import NotAllowed
from crm_core.services.validation import ValidationFailed
from tests.crm_core.acts.conftest import Acts, traces

CAMILLE, JEAN_PIERRE, SOPHIE = 1, 2, 3
CAMILLE_IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "FR1420041010050500013M02606"


def _invoice(sessions: sessionmaker[Session], number: str) -> str:
    with sessions() as s:
        return str(s.scalar(select(Invoice.id).where(Invoice.number == number)))


def _methods(sessions: sessionmaker[Session], account_id: int) -> list[tuple[str, str | None, bool]]:
    with sessions() as s:
        return [(m.kind, m.iban, m.active) for m in s.scalars(
            select(PaymentMethod).where(PaymentMethod.account_id == account_id).order_by(PaymentMethod.id))]


# -- explain_invoice ------------------------------------------------------------------------------------------
def test_an_invoice_whose_lines_add_up_is_explained(acts: Acts, sessions) -> None:
    out = acts().preview("explain_invoice", JEAN_PIERRE, {"invoice": _invoice(sessions, "FAC-0002-0")})
    facts = out["facts"]
    # Forfait 2h (4,99) + Box ADSL (24,99) = 29,98, the invoice's amount; November's usage has no overage.
    assert [(i["kind"], i["amount"]) for i in facts["items"]] == [("plan", "4.99"), ("usage", "0.00"),
                                                                  ("plan", "24.99")]
    assert facts["total"] == "29.98" and facts["gap"] == "0.00" and facts["explained"] is True
    assert ("Écart", "aucun") in [(d["label"], d["value"]) for d in out["details"]]
    assert not any("non expliqué" in w for w in out["warnings"])


def test_an_invoice_issued_after_today_is_upcoming_never_issued(acts: Acts, sessions) -> None:
    out = acts().preview("explain_invoice", SOPHIE, {"invoice": _invoice(sessions, "FAC-0003-0")})  # 02/12/2026
    assert out["facts"]["status"] == "à venir" and out["facts"]["upcoming"] is True
    text = json.dumps([out["summary"], out["details"]], ensure_ascii=False)
    assert "à venir" in text and "émise" not in text
    today = date(2026, 12, 1)
    assert invoice_status(Invoice(issued_on=date(2026, 12, 5), status="paid"), today) == "à venir"
    assert invoice_status(Invoice(issued_on=date(2026, 11, 5), status="upcoming"), today) == "émise"
    assert invoice_status(Invoice(issued_on=date(2026, 11, 5), status="partial"), today) == "partiellement payée"


def test_the_overage_of_the_usage_month_is_shown_and_a_gap_is_flagged(acts: Acts, sessions) -> None:
    with transaction(sessions) as s:  # an invoice 13 € below what the plans, options and overage add up to
        s.execute(update(Invoice).where(Invoice.number == "FAC-0001-0").values(amount=Decimal("78.97")))
    out = acts().preview("explain_invoice", CAMILLE, {"invoice": _invoice(sessions, "FAC-0001-0")})
    facts = out["facts"]
    assert facts["usage_month"] == "2026-11-01"  # the invoice of 05/12 bills November's overage
    [usage] = [i for i in facts["items"] if i["kind"] == "usage"]
    assert usage["line"] == "+33712345678" and usage["amount"] == "14.00"
    assert usage["data_mb"] == 214_000 and usage["allowance_mb"] == 200_000  # the 5G 200 Go plan (1 Go = 1 000 Mo)
    # plans 21,99 + 42,99, options 3,00 + 9,99, overage 14,00 = 91,97 against 78,97 invoiced
    assert facts["total"] == "91.97" and facts["gap"] == "-13.00" and facts["explained"] is False
    assert "écart non expliqué de 13,00 €" in out["summary"]
    assert any(w.startswith("Écart non expliqué de 13,00 €") for w in out["warnings"])
    assert any("sur 200 Go, 14 Go hors forfait" in d["value"] for d in out["details"])


def test_a_gesture_granted_since_the_previous_invoice_is_credited(acts: Acts, sessions) -> None:
    out = acts().preview("explain_invoice", CAMILLE, {"invoice": _invoice(sessions, "FAC-0001-1")})  # 05/11
    gestures = [i for i in out["facts"]["items"] if i["kind"] == "gesture"]
    assert [g["amount"] for g in gestures] == ["-10.00"]  # granted on 12/10, after the invoice of 05/10
    assert out["facts"]["total"] == "67.97"
    older = acts().preview("explain_invoice", CAMILLE, {"invoice": _invoice(sessions, "FAC-0001-2")})  # 05/10
    assert not [i for i in older["facts"]["items"] if i["kind"] == "gesture"]


def test_the_form_is_filled_with_the_latest_issued_invoice_and_the_holder(acts: Acts, sessions) -> None:
    form = acts().open("explain_invoice", CAMILLE)
    [invoice] = form["params"]
    assert invoice["value"] == _invoice(sessions, "FAC-0001-1")  # 05/11: the one of 05/12 is still to come
    assert invoice["value"] in {c["value"] for c in invoice["choices"]}
    holder = next(p for p in acts().open("change_payment_method", SOPHIE)["params"] if p["name"] == "holder")
    assert holder["value"] == "Sophie Nguyen"


def test_another_customer_s_invoice_is_not_a_choice(acts: Acts, sessions) -> None:
    with pytest.raises(ValidationFailed, match="choix impossible"):
        acts().preview("explain_invoice", CAMILLE, {"invoice": _invoice(sessions, "FAC-0002-1")})


# -- change_payment_method ------------------------------------------------------------------------------------
def test_the_payment_method_changes_with_the_iban_never_in_clear(acts: Acts, sessions) -> None:
    service = acts()
    params = {"kind": "direct_debit", "iban": "fr14 2004 1010 0505 0001 3M02 606", "holder": "Camille Martin"}
    preview = service.preview("change_payment_method", CAMILLE, params)
    assert _methods(sessions, 1) == [("direct_debit", CAMILLE_IBAN, True)]  # a preview writes nothing
    done = service.execute("change_payment_method", CAMILLE, params, version=preview["version"])
    assert done["changes"] == [{"field": "payment_method", "label": "Moyen de paiement",
                                "before": "Prélèvement — FR76 •••• •••• 0189 — titulaire Camille Martin",
                                "after": "Prélèvement — FR14 •••• •••• 2606 — titulaire Camille Martin"}]
    assert _methods(sessions, 1) == [("direct_debit", CAMILLE_IBAN, False), ("direct_debit", OTHER_IBAN, True)]
    with sessions() as s:
        new = s.get(PaymentMethod, done["facts"]["ref"]["payment_method"])
        assert new.holder == "Camille Martin" and new.mandate_reference == done["facts"]["mandate_reference"]
    said = json.dumps([preview, done, traces(sessions, "act.previewed"), traces(sessions, "act.done")])
    assert CAMILLE_IBAN not in said and OTHER_IBAN not in said and "FR14" in said


def test_a_card_ends_the_direct_debit_and_moves_the_payment_channel(acts: Acts, sessions) -> None:
    done = acts().execute("change_payment_method", CAMILLE, {"kind": "card", "holder": "Camille Martin"})
    assert {"field": "payment_channel", "label": "Canal de paiement", "before": "prélèvement",
            "after": "carte bancaire"} in done["changes"]
    assert _methods(sessions, 1) == [("direct_debit", CAMILLE_IBAN, False), ("card", None, True)]
    with sessions() as s:
        assert s.get(Account, 1).payment_channel == "card"


def test_a_ward_s_payment_method_comes_with_the_guardian_warning(acts: Acts) -> None:
    out = acts().preview("change_payment_method", JEAN_PIERRE,
                         {"kind": "direct_debit", "iban": OTHER_IBAN, "holder": "Jean-Pierre Lefèvre"})
    assert "Sous tutelle" in out["warnings"][0] and "Mme Anne Lefèvre" in out["warnings"][0]
    assert any("mandat de prélèvement SEPA" in w for w in out["warnings"])


def test_the_same_method_or_a_debit_without_iban_is_refused(acts: Acts, sessions) -> None:
    with pytest.raises(ActRefused, match="déjà celui du compte"):
        acts().execute("change_payment_method", CAMILLE,
                       {"kind": "direct_debit", "iban": CAMILLE_IBAN, "holder": "camille martin"})
    with pytest.raises(ActRefused, match="IBAN est obligatoire") as refused:
        acts().execute("change_payment_method", CAMILLE, {"kind": "direct_debit", "holder": "Camille Martin"})
    assert refused.value.field == "iban"
    with pytest.raises(ActRefused, match="ne sert qu'au prélèvement"):
        acts().execute("change_payment_method", CAMILLE, {"kind": "cheque", "iban": OTHER_IBAN, "holder": "C. M."})
    with pytest.raises(ValidationFailed, match="IBAN invalide"):
        acts().execute("change_payment_method", CAMILLE,
                       {"kind": "direct_debit", "iban": "FR7630006000011234567890188", "holder": "Camille Martin"})
    assert _methods(sessions, 1) == [("direct_debit", CAMILLE_IBAN, True)]
    assert [r["error"] for r in traces(sessions, "act.refused")] == ["ActRefused"] * 3 + ["ValidationFailed"]
    assert all(CAMILLE_IBAN not in json.dumps(r) for r in traces(sessions, "act.refused"))


# -- grant_payment_extension ----------------------------------------------------------------------------------
def test_a_payment_extension_is_written_once(acts: Acts, sessions) -> None:
    service = acts("collection")
    done = service.execute("grant_payment_extension", JEAN_PIERRE, {"until": "20/12/2026"})
    assert done["facts"]["amount_due"] == "58.40" and done["facts"]["current_due"] == "2026-12-02"
    assert "Sous tutelle" in done["warnings"][0] and any("à surveiller" in w for w in done["warnings"])
    with sessions() as s:
        case = s.scalar(select(CollectionCase).where(CollectionCase.account_id == 2))
        assert case.payment_extension_until == date(2026, 12, 20)
        interaction = s.get(Interaction, done["facts"]["ref"]["interaction"])
        assert interaction.topic == "collection" and interaction.advisor_login == "collection.test"
        assert interaction.summary == "Délai de paiement accordé jusqu'au 20/12/2026 pour 58,40 €"
    with pytest.raises(ActRefused, match="déjà été accordé jusqu'au 20/12/2026"):
        service.execute("grant_payment_extension", JEAN_PIERRE, {"until": "22/12/2026"})
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "grant_payment_extension" and "second délai" in refusal["reason"]


def test_the_extension_must_pass_the_current_due_date_and_stay_within_thirty_days(acts: Acts, sessions) -> None:
    service = acts("collection")
    with pytest.raises(ActRefused, match=r"échéance actuelle \(02/12/2026\)"):
        service.preview("grant_payment_extension", JEAN_PIERRE, {"until": "2026-12-02"})
    with pytest.raises(ActRefused, match="au plus loin 30 jours .* le 31/12/2026"):
        service.preview("grant_payment_extension", JEAN_PIERRE, {"until": "2027-01-01"})
    assert service.preview("grant_payment_extension", JEAN_PIERRE, {"until": "2026-12-31"})["status"] == "preview"
    with sessions() as s:
        assert s.scalar(select(CollectionCase.payment_extension_until)) is None


def test_no_extension_without_an_unpaid_invoice_or_for_a_bad_payer(acts: Acts, sessions) -> None:
    with pytest.raises(ActRefused, match="Aucun impayé"):
        acts("collection").execute("grant_payment_extension", CAMILLE, {"until": "2026-12-20"})
    with sessions.begin() as s:
        s.get(Account, 2).payer_quality = "bad"
    with pytest.raises(ActRefused, match="mauvais payeur"):
        acts("collection").execute("grant_payment_extension", JEAN_PIERRE, {"until": "2026-12-20"})
    with pytest.raises(NotAllowed):  # level 1 has not the collection tools
        acts().execute("grant_payment_extension", JEAN_PIERRE, {"until": "2026-12-20"})
    with sessions() as s:
        assert s.scalar(select(CollectionCase.payment_extension_until)) is None
        assert s.scalar(select(func.count()).select_from(Interaction).where(Interaction.topic == "collection")) == 1


def test_an_unpaid_invoice_without_a_case_opens_one_with_the_extension(acts: Acts, sessions) -> None:
    with sessions.begin() as s:
        s.scalar(select(CollectionCase)).status = "closed"
    done = acts("supervisor").execute("grant_payment_extension", JEAN_PIERRE, {"until": "2026-12-15"})
    with sessions() as s:
        case = s.get(CollectionCase, done["facts"]["ref"]["collection_case"])
        assert case.status == "open" and case.amount_due == Decimal("58.40")  # what the balance says is owed
        assert case.payment_extension_until == date(2026, 12, 15) and case.opened_on == date(2026, 12, 1)


# -- send_invoice_duplicate -----------------------------------------------------------------------------------
def test_a_duplicate_is_sent_by_email_and_recorded(acts: Acts, sessions) -> None:
    done = acts().execute("send_invoice_duplicate", CAMILLE,
                          {"invoice": _invoice(sessions, "FAC-0001-1"), "channel": "email"})
    said = "Duplicata de la facture FAC-0001-1 du 05/11/2026 envoyé par e-mail à camille.martin@exemple.fr"
    assert done["summary"] == said + "."
    with sessions() as s:
        interaction = s.get(Interaction, done["facts"]["ref"]["interaction"])
        assert (interaction.kind, interaction.channel, interaction.topic) == ("correspondence", "email", "billing")
        assert interaction.summary == said and interaction.advisor_login == "n1.demo"


def test_a_duplicate_by_letter_goes_to_the_postal_address(acts: Acts, sessions) -> None:
    done = acts().execute("send_invoice_duplicate", JEAN_PIERRE,
                          {"invoice": _invoice(sessions, "FAC-0002-1"), "channel": "letter"})
    assert done["summary"].endswith("envoyé par courrier au 3 place de l'Église, 29200 Brest.")


def test_no_duplicate_of_an_upcoming_invoice_nor_by_email_without_one(acts: Acts, sessions) -> None:
    with pytest.raises(ActRefused, match="à venir .*05/12/2026"):
        acts().execute("send_invoice_duplicate", CAMILLE,
                       {"invoice": _invoice(sessions, "FAC-0001-0"), "channel": "letter"})
    with sessions.begin() as s:
        s.get(Customer, CAMILLE).email = None
    with pytest.raises(ActRefused, match="pas d'e-mail au dossier"):
        acts().execute("send_invoice_duplicate", CAMILLE,
                       {"invoice": _invoice(sessions, "FAC-0001-1"), "channel": "email"})
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Interaction).where(
            Interaction.customer_id == CAMILLE, Interaction.summary.like("Duplicata%"))) == 0
    assert len(traces(sessions, "act.refused")) == 2
