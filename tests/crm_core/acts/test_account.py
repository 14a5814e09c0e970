"""Journey "manage_account": contacts with the guardianship warning, identity, the guardian, the RIO."""

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.base import ActRefused
from crm_core.models import Customer
from crm_core.services.validation import ValidationFailed

CAMILLE, JEAN_PIERRE = 1, 2


def test_a_ward_s_contacts_come_with_the_guardian_warning(acts, sessions: sessionmaker[Session]) -> None:
    out = acts().execute("update_contact_details", JEAN_PIERRE, {"email": "jp.lefevre@exemple.org"})
    assert "Mme Anne Lefèvre (fille)" in out["warnings"][0] and "Sous tutelle" in out["warnings"][0]
    assert out["changes"] == [{"field": "email", "label": "E-mail", "before": "jp.lefevre@exemple.fr",
                               "after": "jp.lefevre@exemple.org"}]
    with sessions() as s:
        assert s.get(Customer, JEAN_PIERRE).email == "jp.lefevre@exemple.org"


def test_the_caller_s_own_number_is_accepted_in_any_french_format(acts, sessions) -> None:
    out = acts().preview("update_contact_details", JEAN_PIERRE, {"contact_phone": "07 12 34 56 78"})
    assert out["changes"][0]["after"] == "07 12 34 56 78"


def test_nothing_to_change_and_bad_input_are_refused_in_french(acts) -> None:
    with pytest.raises(ActRefused, match="déjà celles du dossier"):
        acts().preview("update_contact_details", CAMILLE, {"email": "camille.martin@exemple.fr"})
    with pytest.raises(ValidationFailed) as failed:
        acts().preview("update_contact_details", CAMILLE, {"email": "pas-un-mail", "contact_phone": "12"})
    assert {e.field for e in failed.value.errors} == {"email", "contact_phone"}


def test_rio_is_twelve_characters_with_the_operator_code(acts) -> None:
    out = acts().preview("give_rio", CAMILLE, {"line": "1"})
    code = out["facts"]["rio"]
    assert len(code) == 12 and code.startswith("07P") and code in out["summary"]
    other = acts().preview("give_rio", CAMILLE, {"line": "2"})["facts"]["rio"]
    assert other != code  # the key depends on the number


def test_a_line_of_another_customer_is_not_a_choice(acts) -> None:
    with pytest.raises(ValidationFailed, match="choix impossible"):
        acts().preview("give_rio", CAMILLE, {"line": "3"})  # Jean-Pierre's line


def test_setting_a_guardian_needs_the_guardianship_permission(acts) -> None:
    from crm_core.services.habilitations import NotAllowed

    params = {"kind": "curatelle", "guardian_name": "M. Paul Martin"}
    with pytest.raises(NotAllowed):
        acts().execute("set_guardian", CAMILLE, params)
    out = acts("supervisor").execute("set_guardian", CAMILLE, params)
    assert out["changes"][0]["after"] == "Sous curatelle — M. Paul Martin"
