"""Journeys "become_customer" and "change_offer" through the act service: eligibility at an address, the offers
to propose, the customer's creation, the change of plan, options added and removed."""

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.base import ActRefused
from crm_core.models import Account, Customer, Interaction, Line, LineOption
from crm_core.services.habilitations import NotAllowed
from crm_core.services.permission_filter import NEUTRAL_REASON
from crm_core.services.validation import ValidationFailed
from tests.crm_core.acts.conftest import Acts, traces

CAMILLE, JEAN_PIERRE, SOPHIE = 1, 2, 3
CAMILLE_MOBILE, CAMILLE_BOX, JP_MOBILE, JP_BOX, SOPHIE_MOBILE = 1, 2, 3, 4, 5


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def _options(sessions: sessionmaker[Session], line_id: int) -> list[str]:
    with sessions() as s:
        return sorted(s.scalars(select(LineOption.option_code).where(LineOption.line_id == line_id)))


def _notes(sessions: sessionmaker[Session], customer_id: int) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(Interaction.summary).where(Interaction.customer_id == customer_id,
                                                                Interaction.kind == "contact",
                                                                Interaction.advisor_login == "n1.demo")))


def _refused(sessions: sessionmaker[Session], act: str) -> dict:
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == act
    return refusal


# -- check_eligibility -------------------------------------------------------------------------------------------
def test_eligibility_is_prefilled_with_the_customer_s_postcode(acts: Acts) -> None:
    form = acts().open("check_eligibility", CAMILLE)
    assert form["params"][0]["value"] == "69003"
    assert acts().open("check_eligibility", None)["params"][0]["value"] is None


def test_eligibility_at_another_address_gives_the_reason_of_each_plan(acts: Acts) -> None:
    out = acts().preview("check_eligibility", CAMILLE, {"postcode": "29200"})  # Brest: ADSL 6 Mb/s only
    assert sorted(out["facts"]["eligible"]) == ["BOX_ADSL", "MOBILE_100G", "MOBILE_2H"]
    assert out["facts"]["ineligible"]["BOX_FIBRE_1G"] == ["fibre non déployée à l'adresse"]
    assert out["facts"]["ineligible"]["MOBILE_5G_200G"] == ["pas de couverture 5G au domicile"]
    assert "3 offre(s) possible(s) sur 7" in out["summary"] and "ADSL jusqu'à 6 Mb/s" in out["summary"]
    shown = {d["label"]: d["value"] for d in out["details"]}
    assert shown["Forfait 5G 200 Go — 21,99 €/mois"] == "impossible : pas de couverture 5G au domicile (déjà détenue)"
    assert shown["Box ADSL 15 Mb/s — 24,99 €/mois"] == "possible"


def test_a_known_customer_is_also_checked_on_the_commercial_rules(acts: Acts) -> None:
    out = acts().preview("check_eligibility", JEAN_PIERRE, {"postcode": "69003"})  # fibre there, but unpaid bills
    assert "BOX_FIBRE_1G" in out["facts"]["eligible"]
    assert out["facts"]["ineligible"]["BOX_FIBRE_2G_TV"] == ["impayé en cours"]
    # a profile that may not see the payer quality reads a neutral reason, with the same verdict
    fleet = acts("fleet_avsc").preview("check_eligibility", JEAN_PIERRE, {"postcode": "69003"})
    assert fleet["facts"]["ineligible"]["BOX_FIBRE_2G_TV"] == [NEUTRAL_REASON]


def test_a_caller_not_identified_yet_is_checked_on_the_address_only(acts: Acts) -> None:
    out = acts().preview("check_eligibility", None, {"postcode": "69003"})
    assert len(out["facts"]["eligible"]) == 7  # age and segment are not known yet: not held against anyone
    assert "conditions techniques" in out["warnings"][0]
    brest = acts().preview("check_eligibility", None, {"postcode": "29200"})
    assert brest["facts"]["ineligible"]["MOBILE_5G_200G"] == ["pas de couverture 5G au domicile"]


def test_an_address_out_of_the_known_coverage_is_refused_and_traced(acts: Acts, sessions) -> None:
    with pytest.raises(ActRefused, match="38000 : adresse hors couverture connue"):
        acts().preview("check_eligibility", None, {"postcode": "38000"})
    assert _refused(sessions, "check_eligibility")["stage"] == "preview"
    with pytest.raises(ValidationFailed, match="Code postal invalide"):
        acts().preview("check_eligibility", None, {"postcode": "123"})


# -- recommend_offers --------------------------------------------------------------------------------------------
def test_recommendations_are_ranked_with_price_difference_and_commitment(acts: Acts) -> None:
    out = acts().preview("recommend_offers", SOPHIE, {})
    first = out["facts"]["recommendations"][0]
    assert first["code"] == "MOBILE_5G_200G" and first["line"] == "+33755443322"
    assert first["price_delta"] == "9.00" and first["commitment_end"] == "2027-12-01"
    assert out["details"][0]["label"] == "1. Forfait 5G 200 Go — 21,99 €/mois"
    assert out["details"][0]["value"].startswith("+9,00 €/mois par rapport à « Forfait 100 Go 4G » — "
                                                 "réengagement de 12 mois, jusqu'au 01/12/2027")
    assert "en tête : Forfait 5G 200 Go" in out["summary"]
    assert any("WEB-2611-0107" in w for w in out["warnings"])  # her box is already ordered on the web
    assert "MOBILE_100G" not in [r["code"] for r in out["facts"]["recommendations"]]


def test_a_recommendation_that_removes_an_option_says_so(acts: Acts) -> None:
    out = acts().preview("recommend_offers", CAMILLE, {})
    conv = next(r for r in out["facts"]["recommendations"] if r["code"] == "CONV_FAMILLE")
    assert conv["removed_options"] == ["OPT_TV_SPORT"] and conv["price_delta"] == "2.01"
    assert "retire « Option TV Sport »" in conv["reasons"]


def test_recommendations_need_the_commercial_view(acts: Acts) -> None:
    with pytest.raises(NotAllowed):
        acts("n2_technical").preview("recommend_offers", SOPHIE, {})


# -- create_customer ---------------------------------------------------------------------------------------------
NEW = {"civility": "Mme", "first_name": "Inès", "last_name": "Durand", "birth_date": "14/02/1992",
       "contact_phone": "06 11 22 33 00", "email": "ines.durand@exemple.fr", "address_line": "4 rue Hoche",
       "postcode": "38000", "city": "Grenoble"}


def test_the_creation_form_is_filled_from_the_call(acts: Acts) -> None:
    hints = {"caller_number": "+33611223300", "entities": [{"entity": "city", "value": "Grenoble"},
                                                           {"entity": "date", "value": "2026-12-15"}]}
    form = {p["name"]: p["value"] for p in acts().open("create_customer", None, hints)["params"]}
    assert form["contact_phone"] == "06 11 22 33 00" and form["city"] == "Grenoble"
    assert form["birth_date"] is None  # the date said in the call is not a birth date


def test_a_customer_is_created_once_with_an_account(acts: Acts, sessions) -> None:
    preview = acts().preview("create_customer", None, NEW)
    assert preview["customer_id"] is None and _count(sessions, Customer) == 4
    done = acts().execute("create_customer", None, NEW)
    new_id = done["customer_id"]
    assert done["facts"]["ref"]["customer"] == new_id and f"Fiche client n° {new_id} créée" in done["summary"]
    with sessions() as s:
        customer = s.get(Customer, new_id)
        assert (customer.last_name, customer.birth_date, customer.contact_phone) == \
            ("Durand", date(1992, 2, 14), "+33611223300")
        assert customer.customer_since == date(2026, 12, 1)
        account = s.scalar(select(Account).where(Account.customer_id == new_id))
        assert account.number == f"CPT{new_id:07d}" and account.payment_channel == "transfer"
    assert _notes(sessions, new_id) == [f"Fiche client créée par téléphone (compte CPT{new_id:07d})"]
    [trace] = traces(sessions, "act.done")
    assert trace["customer_id"] == new_id and trace["ref"]["customer"] == new_id

    again = {**NEW, "first_name": "INES", "last_name": "durand", "contact_phone": "06 99 88 77 66"}
    with pytest.raises(ActRefused, match=f"dossier n° {new_id}"):
        acts().execute("create_customer", None, again)
    assert _count(sessions, Customer) == 5


def test_an_existing_customer_is_recognised_by_name_or_phone(acts: Acts, sessions) -> None:
    same_person = {**NEW, "first_name": "Jean-Pierre", "last_name": "LEFEVRE", "birth_date": "1947-11-02"}
    with pytest.raises(ActRefused, match="Ce client existe déjà : dossier n° 2"):
        acts().execute("create_customer", None, same_person)
    with pytest.raises(ActRefused, match="09 72 12 34 56 est déjà celui du dossier n° 1"):  # Camille's box line
        acts().execute("create_customer", None, {**NEW, "contact_phone": "09 72 12 34 56"})
    with pytest.raises(ActRefused, match="dossier n° 3"):  # Sophie's contact number
        acts().execute("create_customer", None, {**NEW, "contact_phone": "+33755443322"})
    assert _count(sessions, Customer) == 4 and _count(sessions, Account) == 4
    assert len(traces(sessions, "act.refused")) == 3 and not traces(sessions, "act.done")


def test_the_holder_must_be_an_adult_born_in_the_past(acts: Acts, sessions) -> None:
    with pytest.raises(ActRefused, match="majeur : 17 ans"):
        acts().execute("create_customer", None, {**NEW, "birth_date": "2009-06-01"})
    with pytest.raises(ValidationFailed, match="date de naissance"):
        acts().execute("create_customer", None, {**NEW, "birth_date": "2027-01-01"})
    assert _count(sessions, Customer) == 4 and len(traces(sessions, "act.refused")) == 2


# -- change_offer ------------------------------------------------------------------------------------------------
def test_an_upgrade_restarts_the_commitment_without_fees(acts: Acts, sessions) -> None:
    params = {"line": str(SOPHIE_MOBILE), "offer_code": "MOBILE_5G_200G"}
    preview = acts().preview("change_offer", SOPHIE, params)
    assert [(c["field"], c["before"], c["after"]) for c in preview["changes"]] == [
        ("offers_options", "Forfait 100 Go 4G (12,99 €/mois)", "Forfait 5G 200 Go (21,99 €/mois)"),
        ("activation_commitment", "02/10/2027", "01/12/2027")]
    assert "Montée en gamme : aucun frais de résiliation ne s'applique." in preview["warnings"]
    assert "Vérifier la couverture 5G au domicile avant de vendre." in preview["warnings"]
    with sessions() as s:
        assert s.get(Line, SOPHIE_MOBILE).offer_code == "MOBILE_100G"  # a preview writes nothing

    acts().execute("change_offer", SOPHIE, params, version=preview["version"])
    with sessions() as s:
        line = s.get(Line, SOPHIE_MOBILE)
        assert (line.offer_code, line.commitment_end) == ("MOBILE_5G_200G", date(2027, 12, 1))
    assert _notes(sessions, SOPHIE) == ["Changement d'offre de la ligne 07 55 44 33 22 : Forfait 100 Go 4G → "
                                        "Forfait 5G 200 Go (+9,00 €/mois)"]


def test_options_the_new_plan_cannot_carry_are_removed(acts: Acts, sessions) -> None:
    done = acts().execute("change_offer", CAMILLE, {"line": str(CAMILLE_BOX), "offer_code": "CONV_FAMILLE"})
    assert done["facts"]["removed_options"] == ["OPT_TV_SPORT"] and done["facts"]["price_delta"] == "2.01"
    options = next(c for c in done["changes"] if c["label"] == "Options de la ligne 09 72 12 34 56")
    assert (options["before"], options["after"]) == ("Option TV Sport (9,99 €/mois)", "aucune")
    assert any("demande une offre avec la TV" in w for w in done["warnings"])
    assert _options(sessions, CAMILLE_BOX) == []
    with sessions() as s:
        assert s.get(Line, CAMILLE_BOX).offer_code == "CONV_FAMILLE"


def test_a_plan_without_commitment_keeps_the_commitment_end(acts: Acts, sessions) -> None:
    out = acts().execute("change_offer", CAMILLE, {"line": str(CAMILLE_MOBILE), "offer_code": "MOBILE_100G"})
    assert [c["field"] for c in out["changes"]] == ["offers_options"]
    assert not any("Montée en gamme" in w for w in out["warnings"])
    with sessions() as s:
        line = s.get(Line, CAMILLE_MOBILE)
        assert (line.offer_code, line.commitment_end) == ("MOBILE_100G", date(2026, 3, 15))
    assert _options(sessions, CAMILLE_MOBILE) == ["OPT_DATA_EU"]  # a mobile option stays on a mobile plan


@pytest.mark.parametrize(("customer", "line", "offer", "reason"), [
    (CAMILLE, CAMILLE_MOBILE, "BOX_FIBRE_1G", "ne se prend pas sur la ligne mobile 07 12 34 56 78"),
    (CAMILLE, CAMILLE_MOBILE, "CONV_FAMILLE", "ne se prend pas sur la ligne mobile"),
    (CAMILLE, CAMILLE_MOBILE, "MOBILE_5G_200G", "a déjà l'offre « Forfait 5G 200 Go »"),
    (JEAN_PIERRE, JP_BOX, "BOX_FIBRE_1G", "pas éligible à « Box Fibre 1 Gb/s » : fibre non déployée à l'adresse"),
    (JEAN_PIERRE, JP_MOBILE, "MOBILE_5G_200G", "pas de couverture 5G au domicile"),
])
def test_a_change_of_offer_is_refused_with_its_reason(acts: Acts, sessions, customer, line, offer, reason) -> None:
    with sessions() as s:
        before = s.get(Line, line).offer_code
    with pytest.raises(ActRefused, match=reason):
        acts().execute("change_offer", customer, {"line": str(line), "offer_code": offer})
    with sessions() as s:
        assert s.get(Line, line).offer_code == before
    assert reason in _refused(sessions, "change_offer")["reason"]


def test_offer_choices_follow_the_customer_s_lines_and_the_caller_s_words(acts: Acts) -> None:
    form = acts().open("change_offer", SOPHIE, {"entities": [{"entity": "offer", "value": "MOBILE_5G_200G"}]})
    params = {p["name"]: p for p in form["params"]}
    assert params["line"]["value"] == str(SOPHIE_MOBILE) and params["offer_code"]["value"] == "MOBILE_5G_200G"
    assert {c["value"] for c in params["offer_code"]["choices"]} == {"MOBILE_2H", "MOBILE_100G", "MOBILE_5G_200G"}
    with pytest.raises(ValidationFailed, match="choix impossible"):  # she has no box line
        acts().preview("change_offer", SOPHIE, {"line": str(SOPHIE_MOBILE), "offer_code": "BOX_FIBRE_1G"})


def test_a_ward_s_change_of_offer_warns_about_the_guardian(acts: Acts) -> None:
    out = acts().preview("change_offer", JEAN_PIERRE, {"line": str(JP_MOBILE), "offer_code": "MOBILE_100G"})
    assert "Sous tutelle" in out["warnings"][0]


# -- add_option / remove_option ----------------------------------------------------------------------------------
def test_an_option_is_added_to_the_line(acts: Acts, sessions) -> None:
    params = {"line": str(CAMILLE_MOBILE), "option_code": "OPT_INTERNATIONAL"}
    done = acts().execute("add_option", CAMILLE, params)
    assert done["changes"] == [{"field": "offers_options", "label": "Options de la ligne 07 12 34 56 78",
                                "before": "Option Data Europe 20 Go (3,00 €/mois)",
                                "after": "Option Data Europe 20 Go (3,00 €/mois), "
                                         "Option Appels internationaux (5,00 €/mois)"}]
    assert _options(sessions, CAMILLE_MOBILE) == ["OPT_DATA_EU", "OPT_INTERNATIONAL"]
    assert _notes(sessions, CAMILLE) == ["Option « Option Appels internationaux » ajoutée sur la ligne 07 12 34 56 78"]
    with pytest.raises(ActRefused, match="a déjà l'option « Option Appels internationaux »"):
        acts().execute("add_option", CAMILLE, params)


@pytest.mark.parametrize(("customer", "line", "option", "reason"), [
    (CAMILLE, CAMILLE_MOBILE, "OPT_CLOUD", "n'existe pas sur une ligne mobile"),
    (CAMILLE, CAMILLE_MOBILE, "OPT_DATA_EU", "a déjà l'option « Option Data Europe 20 Go »"),
    (JEAN_PIERRE, JP_BOX, "OPT_TV_SPORT", "demande une offre avec la TV"),
])
def test_an_option_that_cannot_be_added_is_refused(acts: Acts, sessions, customer, line, option, reason) -> None:
    before = _options(sessions, line)
    with pytest.raises(ActRefused, match=reason):
        acts().execute("add_option", customer, {"line": str(line), "option_code": option})
    assert _options(sessions, line) == before
    _refused(sessions, "add_option")


def test_option_choices_follow_the_customer_s_lines(acts: Acts, sessions) -> None:
    sophie = {p["name"]: p for p in acts().open("add_option", SOPHIE)["params"]}
    assert {c["value"] for c in sophie["option_code"]["choices"]} == {"OPT_DATA_EU", "OPT_INTERNATIONAL"}
    removable = {p["name"]: p for p in acts().open("remove_option", CAMILLE)["params"]}["option_code"]["choices"]
    assert {c["value"] for c in removable} == {"OPT_DATA_EU", "OPT_TV_SPORT"}
    with sessions.begin() as s:
        s.get(Line, CAMILLE_MOBILE).status = "suspended"
    with pytest.raises(ValidationFailed, match="Ligne concernée : choix impossible"):  # active lines only
        acts().preview("add_option", CAMILLE, {"line": str(CAMILLE_MOBILE), "option_code": "OPT_INTERNATIONAL"})


def test_an_option_is_removed_from_the_line_that_holds_it(acts: Acts, sessions) -> None:
    with pytest.raises(ActRefused, match="La ligne 07 12 34 56 78 n'a pas l'option « Option TV Sport »"):
        acts().execute("remove_option", CAMILLE, {"line": str(CAMILLE_MOBILE), "option_code": "OPT_TV_SPORT"})
    done = acts().execute("remove_option", CAMILLE, {"line": str(CAMILLE_BOX), "option_code": "OPT_TV_SPORT"})
    assert done["changes"][0]["after"] == "aucune" and "−9,99 €/mois" in done["summary"]
    assert _options(sessions, CAMILLE_BOX) == [] and _options(sessions, CAMILLE_MOBILE) == ["OPT_DATA_EU"]


def test_options_need_the_options_habilitation(acts: Acts) -> None:
    with pytest.raises(NotAllowed):
        acts("n2_technical").preview("add_option", CAMILLE, {"line": str(CAMILLE_MOBILE),
                                                             "option_code": "OPT_INTERNATIONAL"})
