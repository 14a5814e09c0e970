import pytest

from nlu.text.clauses import split_clauses


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("je déménage le mois prochain et en plus je voudrais passer à la fibre",
         ["je déménage le mois prochain", "je voudrais passer à la fibre"]),
        ("je voudrais changer mon adresse mail. et aussi ma box ne marche plus",
         ["je voudrais changer mon adresse mail", "ma box ne marche plus"]),
        ("ma facture a doublé et je voudrais savoir pourquoi ; sinon comment on enregistre un film",
         ["ma facture a doublé", "je voudrais savoir pourquoi", "comment on enregistre un film"]),
    ],
)
def test_chained_requests_are_split(text, clauses):
    assert split_clauses(text) == clauses


@pytest.mark.parametrize(
    "text",
    [
        "internet et la télé ne marchent plus",  # "et" between two nouns is not a new request
        "je ne veux pas résilier mais je veux comprendre ma facture",  # "mais" never splits
        "je déménage. voilà",  # a fragment under three words is not a clause
        "",
    ],
)
def test_a_single_request_gives_no_clauses(text):
    assert split_clauses(text) == []
