"""Near-duplicate reasons: the key of a wording (``text_key``), groups of keys (``group_keys``) and their ids."""

import re

import pytest

from trainer.dedup import KEY_CHARS, group_id, group_keys, text_key


@pytest.mark.parametrize(("said", "key"), [
    ("Euh, ma BOX ne marche plus !", "ma box ne marche plus"),
    ("ben bah ma ma box elle est morte...", "ma box elle est morte"),
    ("Je veux RÉSILIER mon forfait", "je veux resilier mon forfait"),
    ("Élève à l'hôtel ?!", "eleve a l hotel"),
    ("J'ai payé 42 euros le 15/12", "j ai paye 00 euros le 00 00"),
    ("j'ai payé quarante deux euros", "j ai paye 00 euros"),
    ("rappelez-moi au ‹téléphone›", "rappelez moi au ‹telephone›"),
    ("!!! ...", ""),
    ("", ""),
])
def test_text_key_folds_fillers_stutters_accents_case_punctuation_and_digits(said: str, key: str) -> None:
    assert text_key(said) == key


@pytest.mark.parametrize(("one", "other"), [
    ("Euh, ma BOX ne marche plus !", "ma box ne marche plus"),
    ("je je veux résilier", "Je veux resilier."),
    ("prélevé 42 euros le 15/12", "prélevé 99 euros le 01/01"),
    ("prélevé quarante deux euros", "prélevé 17 euros"),
])
def test_wordings_that_differ_only_by_what_the_key_folds_share_a_key(one: str, other: str) -> None:
    assert text_key(one) == text_key(other)


@pytest.mark.parametrize(("one", "other"), [
    ("ma box ne marche plus", "ma box marche plus"),
    ("au ‹téléphone›", "au téléphone"),
    ("je veux résilier ma box", "je veux résilier ma ligne"),
])
def test_different_wordings_have_different_keys(one: str, other: str) -> None:
    assert text_key(one) != text_key(other)


def test_a_long_text_key_is_bounded_to_key_chars_and_still_tells_texts_apart() -> None:
    long = "je voudrais comprendre pourquoi ma facture a augmenté " * 8  # ~430 characters, under normalise's bound
    longer = long + "depuis mars"
    key, other = text_key(long), text_key(longer)
    assert len(key) == len(other) == KEY_CHARS
    assert key != other
    assert key[: KEY_CHARS - 17] == other[: KEY_CHARS - 17]  # same readable start, then a hash of the whole
    assert re.fullmatch(r"#[0-9a-f]{16}", key[KEY_CHARS - 17:])
    assert text_key(long) == key


def test_a_key_of_exactly_key_chars_is_kept_whole() -> None:
    said = "a" * KEY_CHARS
    assert text_key(said) == said
    assert text_key(said + "b") != said + "b"


def test_near_duplicates_are_grouped_together() -> None:
    first, second = text_key("ma box ne marche plus"), text_key("euh ma box marche plus !")
    assert group_keys([first, second]) == [[first, second]]


@pytest.mark.parametrize("other", ["je veux résilier ma box", "ma ligne mobile ne marche plus"])
def test_different_requests_stay_apart(other: str) -> None:
    first, second = text_key("ma box ne marche plus"), text_key(other)
    assert group_keys([first, second]) == [[first], [second]]


def test_each_group_starts_with_its_first_key_and_groups_follow_the_keys_order() -> None:
    box, box_again = text_key("ma box ne marche plus"), text_key("euh ma box marche plus !")
    terminate = text_key("je veux résilier ma box")
    assert group_keys([box_again, terminate, box]) == [[box_again, box], [terminate]]
    assert group_keys([terminate, box, box_again]) == [[terminate], [box, box_again]]


def test_a_key_is_compared_with_each_groups_head_not_with_its_other_members() -> None:
    head, member = text_key("ma box ne marche plus"), text_key("ma box marche plus")
    # Close to the member (about 76% of trigrams shared) but not to the head (about 60%).
    close_to_the_member = text_key("la box marche plus")
    assert group_keys([head, member, close_to_the_member]) == [[head, member], [close_to_the_member]]
    assert group_keys([member, head, close_to_the_member]) == [[member, head, close_to_the_member]]


def test_the_threshold_decides_how_close_near_duplicates_must_be() -> None:
    # These two share about 77% of their character trigrams.
    first, second = text_key("ma box ne marche plus"), text_key("euh ma box marche plus !")
    assert group_keys([first, second], threshold=0.7) == [[first, second]]
    assert group_keys([first, second], threshold=0.85) == [[first], [second]]
    assert group_keys([first, first], threshold=1.0) == [[first, first]]
    assert group_keys([first, second], threshold=1.0) == [[first], [second]]


def test_no_keys_make_no_groups() -> None:
    assert group_keys([]) == []


def test_group_id_is_sixteen_hex_characters_stable_across_runs() -> None:
    key = text_key("ma box ne marche plus")
    assert re.fullmatch(r"[0-9a-f]{16}", group_id(key))
    assert group_id(key) == "691e3d9fbc74a6d7"  # a sha256 prefix: the same in every process and version
    assert group_id(text_key("je veux résilier ma box")) != group_id(key)
