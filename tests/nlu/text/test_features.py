import pytest

from nlu.text.features import stem, word_terms


@pytest.mark.parametrize(
    ("text", "negated", "plain"),
    [
        ("je ne veux pas résilier mais ma facture a doublé", {"résilier"}, {"facture", "doublé"}),
        ("je veux pas changer d'offre", {"changer", "offre"}, {"veux"}),
        ("il n'y a plus de connexion depuis hier", {"connexion", "depuis"}, {"hier"}),  # two words at most
        ("ce n'est pas pour résilier c'est pour la facture", {"pour", "résilier"}, {"facture"}),
        ("sans toucher au reste du contrat", {"toucher", "reste"}, {"contrat"}),
        ("pas la box mais le décodeur", {"box"}, {"décodeur"}),
    ],
)
def test_negation_marks_the_words_it_governs_and_stops_at_a_new_clause(text, negated, plain):
    terms = set(word_terms(text))
    negated = {"neg_" + stem(w) for w in negated}
    plain = {stem(w) for w in plain}
    assert negated <= terms
    assert plain <= terms
    assert not {"neg_" + t for t in plain} & terms


@pytest.mark.parametrize(
    "forms",
    [("résilier", "résiliation", "résilié"), ("déménage", "déménagement", "déménager"),
     ("factures", "facture", "facturé")],
)
def test_forms_of_one_word_share_a_stem(forms):
    assert len({word_terms(f)[0] for f in forms}) == 1


def test_scope_is_bounded_and_elisions_are_tokens():
    terms = word_terms("je n'ai jamais reçu la facture de la box ni le décodeur")
    assert terms[:3] == ["je", "n'", "ai"]
    assert "neg_" + stem("reçu") in terms
    assert "neg_" + stem("décodeur") in terms  # "ni" opens a new scope
    assert word_terms("") == []
