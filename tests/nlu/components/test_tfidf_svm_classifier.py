"""Runs in the Rasa runtime (make test runs it there); skipped in the app runtime."""

import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.shared.nlu.constants import INTENT, TEXT  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from nlu.components.tfidf_svm_classifier import TfidfSvmIntentClassifier  # noqa: E402

EXAMPLES = {
    "move": ["je déménage le mois prochain", "on change d'appartement", "nouvelle adresse pour la box",
             "je pars vivre à lyon il faut transférer internet", "transfert de ligne suite à un déménagement",
             "je déménage à marseille", "on déménage bientôt avec la box", "déménagement prévu à lyon"],
    "breakdown": ["internet ne marche plus", "la box ne s'allume plus", "plus de réseau sur mon portable",
                  "la télé affiche écran noir", "coupure de la fibre depuis hier", "ma box est en panne",
                  "la box clignote rouge", "le wifi ne marche plus"],
    "billing_payment": ["ma facture a doublé", "on m'a prélevé deux fois", "je veux changer mon rib",
                        "je ne comprends pas ce hors forfait", "je ne peux pas payer ce mois ci",
                        "ma facture est trop chère", "erreur sur la facture", "un prélèvement en trop"],
}


@pytest.fixture
def trained(tmp_path):  # type: ignore[no-untyped-def]
    storage, resource = LocalModelStorage(tmp_path), Resource("clf")
    context = ExecutionContext(graph_schema=None, model_id="m")  # type: ignore[arg-type]
    classifier = TfidfSvmIntentClassifier.create({}, storage, resource, context)
    data = TrainingData([Message({TEXT: t, INTENT: i}) for i, texts in EXAMPLES.items() for t in texts])
    classifier.train(data)
    return classifier, storage, resource, context


@pytest.mark.parametrize(
    ("text", "journey"),
    [("je déménage à lyon", "move"), ("ma box ne marche plus", "breakdown"), ("ma facture est fausse",
                                                                              "billing_payment")],
)
def test_it_ranks_the_journeys_with_calibrated_confidences(trained, text, journey) -> None:  # type: ignore[no-untyped-def]
    classifier = trained[0]
    message = Message({TEXT: text})
    classifier.process([message])
    ranking = message.get("intent_ranking")
    assert message.get("intent")["name"] == journey == ranking[0]["name"]
    assert [r["name"] for r in ranking] != [] and sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert all(0.0 <= r["confidence"] <= 1.0 for r in ranking)


def test_it_survives_persisting_and_loading(trained) -> None:  # type: ignore[no-untyped-def]
    classifier, storage, resource, context = trained
    loaded = TfidfSvmIntentClassifier.load({}, storage, resource, context)
    a, b = Message({TEXT: "plus de connexion"}), Message({TEXT: "plus de connexion"})
    classifier.process([a])
    loaded.process([b])
    assert a.get("intent_ranking") == b.get("intent_ranking")


def test_an_untrained_model_does_not_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    context = ExecutionContext(graph_schema=None, model_id="m")  # type: ignore[arg-type]
    empty = TfidfSvmIntentClassifier.load({}, LocalModelStorage(tmp_path), Resource("none"), context)
    message = Message({TEXT: "bonjour"})
    empty.process([message])
    assert message.get("intent") is None


def test_each_clause_of_a_multi_request_reason_gets_its_own_journey(trained) -> None:  # type: ignore[no-untyped-def]
    classifier = trained[0]
    multi = Message({TEXT: "je déménage à lyon et en plus ma box ne marche plus"})
    single = Message({TEXT: "je déménage"})
    classifier.process([multi, single])
    assert [(c["text"], c["name"]) for c in multi.get("clauses")] == [("je déménage à lyon", "move"),
                                                                      ("ma box ne marche plus", "breakdown")]
    assert all(0.0 < c["confidence"] <= 1.0 for c in multi.get("clauses"))
    assert single.get("clauses") is None and single.get("intent")["name"] == "move"


def test_chained_requests_get_their_clauses_and_first_request_classified(trained) -> None:  # type: ignore[no-untyped-def]
    classifier = trained[0]
    message = Message({TEXT: "je déménage à lyon la semaine prochaine et en plus ma box ne marche plus"})
    classifier.process([message])
    assert [c["name"] for c in message.get("clauses")] == ["move", "breakdown"]
    first = message.get("first_request")
    assert (first["text"], first["name"]) == ("je déménage à lyon la semaine prochaine", "move")
    single = Message({TEXT: "ma box ne marche plus"})
    classifier.process([single])
    assert single.get("clauses") is None and single.get("first_request") is None


def test_the_vocabularies_are_saved_as_json_beside_the_estimators(trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A model loads fast enough to be published into the running server: the n-gram vocabularies (the bulk of
    the model) are JSON, not skops objects; the loaded pipeline is the same, and a vocabulary file that does not
    match its pipeline is refused."""
    import json

    from nlu.components.tfidf_svm_classifier import load_pipeline, save_pipeline, vocabulary_path

    pipeline = trained[0].pipeline
    path = tmp_path / "p.skops"
    save_pipeline(pipeline, path)
    vocabularies = json.loads(vocabulary_path(path).read_text())
    vectorizers = [b for _, b in pipeline.steps[0][1].transformer_list if hasattr(b, "vocabulary_")]
    assert [len(v) for v in vocabularies] == [len(v.vocabulary_) for v in vectorizers] and len(vocabularies) == 2
    assert all(hasattr(v, "vocabulary_") for v in vectorizers)  # the trained pipeline keeps its own
    loaded = load_pipeline(path)
    texts = ["plus de connexion", "je déménage à nantes"]
    assert (loaded.predict_proba(texts) == pipeline.predict_proba(texts)).all()
    vocabulary_path(path).write_text(json.dumps(vocabularies[:1]))
    with pytest.raises(ValueError, match="does not match"):
        load_pipeline(path)
