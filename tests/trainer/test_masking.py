"""Personal data out of a caller's reason: what ``trainer.masking.mask`` hides, what it leaves, and the stand-ins."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.masking import PLACEHOLDERS, STAND_INS, mask, unmask_for_training

PHONE, EMAIL, IBAN, CARD, NUMBER, NAME = (PLACEHOLDERS[k] for k in ("phone", "email", "iban", "card", "number", "name"))

VALID_IBAN = "FR76 3000 6000 0112 3456 7890 189"
TYPO_IBAN = "FR76 3000 6000 0112 3456 7890 188"  # one digit wrong: the check digits no longer match


def iban_is_valid(iban: str) -> bool:
    """The ISO 13616 check (mod 97), to prove the premise of the typo'd IBAN."""
    compact = iban.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


@pytest.mark.parametrize("number", [
    "06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "+33612345678", "06.12.34.56.78", "06-12-34-56-78",
    "07 98 76 54 32",
])
def test_a_written_phone_number_becomes_the_phone_placeholder(number: str) -> None:
    assert mask(f"mon numéro c'est le {number} merci") == f"mon numéro c'est le {PHONE} merci"


@pytest.mark.parametrize("spoken", [
    "zéro six douze trente quatre cinquante six soixante dix huit",
    "zero six douze trente quatre cinquante six soixante dix huit",
    "zéro six douze trente-quatre cinquante-six soixante-dix-huit",
    "Zéro Six Douze Trente Quatre Cinquante Six Soixante Dix Huit",
    "zéro sept un deux trois quatre cinq six sept huit",  # digit by digit
])
def test_a_phone_number_spelled_out_in_french_becomes_the_phone_placeholder(spoken: str) -> None:
    assert mask(f"rappelez-moi au {spoken} s'il vous plaît") == f"rappelez-moi au {PHONE} s'il vous plaît"


@pytest.mark.parametrize(("said", "masked"), [
    ("écrivez-moi à jean.dupont@orange.fr merci", f"écrivez-moi à {EMAIL} merci"),
    ("mon mail Jean.Dupont@Orange.FR.", f"mon mail {EMAIL}."),
    ("c'est marie-claire_54+box@mail.free.fr", f"c'est {EMAIL}"),
    ("c'est jean point dupont arobase orange point fr", f"c'est {EMAIL}"),
    ("c'est Jean Point Dupont Arobase Orange Point Fr voilà", f"c'est {EMAIL} voilà"),
    ("mon adresse jean tiret pierre arobase gmail point com", f"mon adresse {EMAIL}"),
    ("mon adresse jean underscore dupont arobase free point fr", f"mon adresse {EMAIL}"),
])
def test_written_and_spoken_email_addresses_become_the_email_placeholder(said: str, masked: str) -> None:
    assert mask(said) == masked


@pytest.mark.parametrize("iban", [
    VALID_IBAN, VALID_IBAN.replace(" ", ""), VALID_IBAN.lower(), VALID_IBAN.replace(" ", "-"), TYPO_IBAN,
    "FR76 3000 6000 0112 3456 789O 189",  # a letter O typed for a zero
])
def test_an_iban_spaced_or_compact_valid_or_mistyped_becomes_the_iban_placeholder(iban: str) -> None:
    assert mask(f"mon iban c'est {iban} pour le prélèvement") == f"mon iban c'est {IBAN} pour le prélèvement"


def test_the_mistyped_iban_of_these_tests_really_fails_its_check_digits() -> None:
    assert iban_is_valid(VALID_IBAN)
    assert not iban_is_valid(TYPO_IBAN)


@pytest.mark.parametrize("card", ["4970 1012 3456 7890", "4970101234567890", "4970-1012-3456-7890",
                                  "3782 822463 10005"])
def test_a_card_number_becomes_the_card_placeholder(card: str) -> None:
    assert mask(f"j'ai payé avec la carte {card} hier") == f"j'ai payé avec la carte {CARD} hier"


@pytest.mark.parametrize("reference", ["123456", "1234567", "12345678", "12 34 56 78"])
def test_a_customer_reference_of_six_to_eight_digits_becomes_the_number_placeholder(reference: str) -> None:
    assert mask(f"ma référence client est {reference} voilà") == f"ma référence client est {NUMBER} voilà"


@pytest.mark.parametrize(("said", "names", "masked"), [
    ("bonjour je suis Jean-Pierre Dupont", ["Jean-Pierre Dupont"], f"bonjour je suis {NAME} {NAME}"),
    ("ici jean-pierre", ["Jean-Pierre Dupont"], f"ici {NAME}"),
    ("ici JEAN-PIERRE", ["Jean-Pierre Dupont"], f"ici {NAME}"),
    ("ici Jean-Pierre", ["Jean Pierre Dupont"], f"ici {NAME}"),  # written with a space in the CRM
    ("c'est monsieur DUPONT", ["Jean-Pierre Dupont"], f"c'est monsieur {NAME}"),
    ("c'est madame dupont", ["Jean-Pierre Dupont"], f"c'est madame {NAME}"),
    ("c'est madame Hélène Lefèvre", ["Helene Lefevre"], f"c'est madame {NAME} {NAME}"),
    ("c'est madame helene lefevre", ["Hélène Lefèvre"], f"c'est madame {NAME} {NAME}"),
    ("c'est ÉLÉONORE", ["Anne-Sophie Eléonore"], f"c'est {NAME}"),
    ("je suis Luc, la fille de madame Dupont", ["Luc Martin", "Sophie Dupont"],
     f"je suis {NAME}, la fille de madame {NAME}"),
])
def test_the_customers_names_become_the_name_placeholder_whatever_their_case_and_accents(
        said: str, names: list[str], masked: str) -> None:
    assert mask(said, names) == masked


@pytest.mark.parametrize(("said", "names"), [
    ("je pars en vacances en Martinique", ["Jean Martin"]),
    ("ma fille Jeanne a cassé la box", ["Jean Martin"]),
    ("j'adore Dupontel", ["Jean Dupont"]),
    ("la box de ma mère ne marche plus", ["Marie de La Tour"]),  # particles shorter than three letters
    ("je veux résilier mon forfait", ["Jean Martin"]),
])
def test_words_that_merely_contain_a_names_letters_are_left_as_said(said: str, names: list[str]) -> None:
    assert mask(said, names) == said


@pytest.mark.parametrize("said", [
    "j'ai payé 42 euros de trop",
    "on m'a prélevé 12,50 € deux fois",
    "on m'a prélevé quarante deux euros",
    "la coupure date du 15 décembre",
    "la coupure date du quinze décembre",
    "le technicien passe le 15/12 à 14h30",
    "j'ai 3 box à la maison",
    "la fibre 1 Gb ne dépasse pas 300 Mb",
    "mon code postal est 69003",
    "ma référence 12345",
])
def test_amounts_dates_and_short_numbers_are_left_as_said(said: str) -> None:
    assert mask(said) == said


def test_several_kinds_of_personal_data_in_one_reason_are_all_masked_and_masking_again_changes_nothing() -> None:
    said = ("bonjour c'est Jean-Pierre Dupont, client 1234567, mon portable 06 12 34 56 78, "
            "mail jean.dupont@orange.fr, iban FR7630006000011234567890189, carte 4970 1012 3456 7890, j'ai payé 42 €")
    masked = mask(said, ["Jean-Pierre Dupont"])
    assert masked == (f"bonjour c'est {NAME} {NAME}, client {NUMBER}, mon portable {PHONE}, mail {EMAIL}, "
                      f"iban {IBAN}, carte {CARD}, j'ai payé 42 €")
    assert mask(masked, ["Jean-Pierre Dupont"]) == masked


def test_no_text_or_empty_names_mask_nothing() -> None:
    assert mask(None) == ""  # type: ignore[arg-type]
    assert mask("") == ""
    assert mask("bonjour Dupont", [None, ""]) == "bonjour Dupont"  # type: ignore[list-item]


def test_a_surname_with_an_apostrophe_is_masked() -> None:
    masked = mask("c'est madame N'Diaye à l'appareil", ["Awa N'Diaye"])
    assert "Diaye" not in masked
    assert NAME in masked


def test_the_customers_surname_inside_a_double_barrelled_name_is_masked() -> None:
    masked = mask("je suis madame Dupont-Martin", ["Marie Dupont"])
    assert "Dupont" not in masked


# A property: whatever French words surround it, a French mobile number in any usual spelling is masked whole.
WORDS = ["bonjour", "je", "voudrais", "savoir", "pourquoi", "ma", "box", "ne", "marche", "plus", "la", "facture",
         "est", "trop", "élevée", "mon", "numéro", "c'est", "le", "rappelez-moi", "au", "merci", "portable", "ligne",
         "coupée", "depuis", "hier", "soir", "résilier", "forfait", "sur", "mobile", "à", "Lyon", "s'il", "vous",
         "plaît", "madame", "appel", "joignable", "fibre", "télé", "voilà", "alors", "oui", "d'accord"]


def _pairs(digits: str, sep: str) -> str:
    return sep.join(digits[i: i + 2] for i in range(0, 10, 2))


SPELLINGS = [
    lambda d: d,
    lambda d: _pairs(d, " "),
    lambda d: _pairs(d, "."),
    lambda d: _pairs(d, "-"),
    lambda d: "+33 " + d[1] + " " + " ".join(d[i: i + 2] for i in range(2, 10, 2)),
    lambda d: "+33" + d[1:],
]


@st.composite
def reasons_with_a_mobile_number(draw: st.DrawFn) -> str:
    before = draw(st.lists(st.sampled_from(WORDS), max_size=10))
    after = draw(st.lists(st.sampled_from(WORDS), max_size=10))
    digits = draw(st.sampled_from(["06", "07"])) + draw(st.text("0123456789", min_size=8, max_size=8))
    number = draw(st.sampled_from(SPELLINGS))(digits) + draw(st.sampled_from(["", ",", ".", " ?", " !"]))
    return " ".join([*before, number, *after])


@settings(max_examples=300, deadline=None)
@given(reasons_with_a_mobile_number())
def test_a_mobile_number_anywhere_in_a_reason_is_masked_whole(reason: str) -> None:
    masked = mask(reason)
    assert not re.search(r"\d(?:[\s.\-]?\d){7,}", masked)  # no run of 8 digits or more, even spaced
    assert PHONE in masked


def test_unmask_replaces_every_placeholder_by_a_stand_in() -> None:
    masked = f"{NAME} {NAME}, client {NUMBER}, {PHONE}, {EMAIL}, iban {IBAN}, carte {CARD}, {NAME}"
    unmasked = unmask_for_training(masked)
    assert "‹" not in unmasked and "›" not in unmasked
    assert unmasked.count(STAND_INS[NAME]) == 3
    assert unmask_for_training("ma box ne marche plus") == "ma box ne marche plus"


@pytest.mark.parametrize("placeholder", [PHONE, EMAIL, IBAN, CARD, NUMBER])
def test_a_stand_in_is_itself_masked_back_to_its_placeholder(placeholder: str) -> None:
    said = f"le client a donné {placeholder} au téléphone"
    unmasked = unmask_for_training(said)
    assert "‹" not in unmasked
    assert mask(unmasked) == said


def test_the_name_stand_in_is_masked_back_when_it_is_taken_as_the_customers_name() -> None:
    unmasked = unmask_for_training(f"bonjour madame {NAME}")
    assert "‹" not in unmasked
    assert mask(unmasked, [STAND_INS[NAME]]) == f"bonjour madame {NAME}"
