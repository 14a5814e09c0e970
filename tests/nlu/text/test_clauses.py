import pytest

from nlu.text.clauses import first_request, split_clauses


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


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("je veux changer de forfait et puis comprendre pourquoi ma facture est à soixante euros",
         "je veux changer de forfait"),
        ("je voudrais changer mon adresse mail et au passage savoir pourquoi j'ai été prélevé deux fois",
         "je voudrais changer mon adresse mail"),
        ("mon téléphone est cassé il faut le réparer et tant qu'à faire je changerais bien de forfait",
         "mon téléphone est cassé il faut le réparer"),
    ],
)
def test_the_request_before_an_additive_connector_is_the_first_request(text, first):
    assert first_request(text) == first


@pytest.mark.parametrize(
    "text",
    [
        "j'ai déménagé le mois dernier et depuis internet ne marche plus",  # context, then the request
        "j'ai déménagé le mois dernier. depuis internet ne marche plus",  # a full stop is not additive
        "je veux résilier, en plus",  # nothing requested after the connector
        "en plus ça fait trois semaines que j'attends le technicien",  # nothing requested before it
        "",
    ],
)
def test_no_first_request_without_an_additive_connector_between_two_requests(text):
    assert first_request(text) is None
