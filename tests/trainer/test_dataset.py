"""The training data of a candidate: Rasa YAML of the curated examples, the repository's examples, the held-out keys."""

import json
import re
from pathlib import Path

import pytest
import yaml

import trainer.dataset as dataset
from trainer.dataset import (
    TRAINING_FILE,
    Example,
    annotate,
    heldout_keys,
    plain,
    repository_examples,
    to_yaml,
    write_training_data,
)
from trainer.dedup import text_key
from trainer.masking import PLACEHOLDERS, STAND_INS

REPO_ROOT = Path(__file__).resolve().parents[2]


def span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


@pytest.mark.parametrize(("annotated", "text"), [
    ("ma [box](equipment) ne marche plus", "ma box ne marche plus"),
    ('plus de réseau à [Lyon]{"entity": "city", "value": "Lyon"}', "plus de réseau à Lyon"),
    ('j\'ai payé [quarante deux euros]{"entity": "amount", "value": "42"} le [15 mars](date)',
     "j'ai payé quarante deux euros le 15 mars"),
    ("  je veux résilier (mon forfait) ", "je veux résilier (mon forfait)"),
])
def test_plain_removes_entity_annotations(annotated: str, text: str) -> None:
    assert plain(annotated) == text


def test_annotate_writes_an_entity_as_text_and_name() -> None:
    text = "ma box est en panne à Lyon"
    example = Example(text, "breakdown", ((*span(text, "box"), "equipment", None), (*span(text, "Lyon"), "city",
                                                                                       "Lyon")))
    assert annotate(example) == "ma [box](equipment) est en panne à [Lyon](city)"


def test_annotate_writes_a_value_dict_when_the_value_differs_from_the_text() -> None:
    text = 'j\'ai payé quarante deux euros "en trop"'
    example = Example(text, "billing", ((*span(text, "quarante deux euros"), "amount", 'quarante-deux "€"'),))
    line = annotate(example)
    assert line == ('j\'ai payé [quarante deux euros]{"entity": "amount", "value": "quarante-deux \\"€\\""} '
                    '"en trop"')
    value_dict = re.search(r"\{.*\}", line).group()  # type: ignore[union-attr]
    assert json.loads(value_dict) == {"entity": "amount", "value": 'quarante-deux "€"'}
    assert plain(line) == text


def test_annotate_places_entities_in_order_whatever_order_they_are_given_in() -> None:
    text = "ma box à Lyon"
    entities = ((*span(text, "Lyon"), "city", None), (*span(text, "box"), "equipment", None))
    assert annotate(Example(text, "breakdown", entities)) == "ma [box](equipment) à [Lyon](city)"


def test_brackets_and_braces_typed_by_a_caller_become_parentheses() -> None:
    text = "mon [code] {RIO} ne marche pas sur ma box"
    line = annotate(Example(text, "change_offer", ((*span(text, "box"), "equipment", None),)))
    assert line == "mon (code) (RIO) ne marche pas sur ma [box](equipment)"
    assert annotate(Example("deux\nlignes", "complaint")) == "deux lignes"


def test_placeholders_become_stand_ins_and_then_entities_are_dropped() -> None:
    text = f"mon numéro {PLACEHOLDERS['phone']} ne marche plus sur ma box"
    example = Example(text, "breakdown", ((*span(text, PLACEHOLDERS["phone"]), "phone_number", None),
                                          (*span(text, "box"), "equipment", None)))
    assert annotate(example) == f"mon numéro {STAND_INS[PLACEHOLDERS['phone']]} ne marche plus sur ma box"


def test_placeholders_typed_between_brackets_still_become_stand_ins() -> None:
    text = f"je suis [{PLACEHOLDERS['name']}] réf {{{PLACEHOLDERS['number']}}}"
    assert annotate(Example(text, "manage_account")) == "je suis (Dupont) réf (123456)"


def test_an_entity_is_never_placed_on_the_wrong_characters_after_unmasking() -> None:
    name, number = PLACEHOLDERS["name"], PLACEHOLDERS["number"]
    text = f"je suis {name} {name}, ma box ne marche plus, référence {number}"
    line = annotate(Example(text, "breakdown", ((*span(text, "box"), "equipment", None),)))
    assert plain(line) == "je suis Dupont Dupont, ma box ne marche plus, référence 123456"
    assert re.findall(r"\[([^\]]*)\]", line) in ([], ["box"])


def test_to_yaml_is_rasa_nlu_with_one_sorted_block_per_journey() -> None:
    text = "ma box ne marche plus"
    examples = [
        Example("je veux résilier", "terminate"),
        Example(text, "breakdown", ((*span(text, "box"), "equipment", None),)),
        Example("- plus de réseau: rien # depuis hier", "breakdown"),
        Example('il a dit "{ok}"', "breakdown"),
        Example("appelez-moi au ‹téléphone›", "manage_account"),
    ]
    document = to_yaml(examples, "Curated by the trainers.\nSecond line.")
    assert document.startswith("# Curated by the trainers.\n# Second line.\n")
    assert yaml.safe_load(document) == {"version": "3.1", "nlu": [
        {"intent": "breakdown", "examples": '- - plus de réseau: rien # depuis hier\n- il a dit "(ok)"\n'
                                            "- ma [box](equipment) ne marche plus\n"},
        {"intent": "manage_account", "examples": "- appelez-moi au 06 01 02 03 04\n"},
        {"intent": "terminate", "examples": "- je veux résilier\n"},
    ]}


def test_to_yaml_without_examples_is_an_empty_nlu_list() -> None:
    assert yaml.safe_load(to_yaml([])) == {"version": "3.1", "nlu": []}


NLU_FILE = """version: "3.1"
nlu:
  - intent: breakdown
    examples: |
      - ma [box](equipment) ne marche plus
      - plus de réseau à [Lyon]{"entity": "city", "value": "Lyon"}

  - synonym: box
    examples: |
      - modem
      - la boîte
  - intent: terminate
    examples: |
      - euh je veux résilier
      - je veux partir chez un autre opérateur
"""


def write_nlu(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.yml").write_text(NLU_FILE)
    (folder / "b.yml").write_text('version: "3.1"\nnlu:\n  - intent: complaint\n    examples: |\n'
                                  "      - ma box ne marche plus\n      - je ne suis pas content\n")
    (folder / "notes.txt").write_text("- intent: ignored\n  examples: |\n    - pas un exemple\n")
    return folder


def test_repository_examples_maps_each_examples_key_to_its_intent(tmp_path: Path) -> None:
    found = repository_examples(write_nlu(tmp_path / "nlu"))
    assert found[text_key("ma box ne marche plus")] == "breakdown"  # a.yml first: the first intent read wins
    assert found[text_key("plus de réseau à Lyon")] == "breakdown"
    assert found[text_key("je veux résilier")] == "terminate"
    assert found[text_key("je veux partir chez un autre opérateur")] == "terminate"
    assert found[text_key("je ne suis pas content")] == "complaint"
    assert text_key("pas un exemple") not in found


def test_repository_examples_does_not_read_a_synonym_block_as_examples(tmp_path: Path) -> None:
    found = repository_examples(write_nlu(tmp_path / "nlu"))
    assert text_key("modem") not in found
    assert text_key("la boîte") not in found


def write_data(folder: Path) -> Path:
    (folder / "nlu").mkdir(parents=True)
    (folder / "rules").mkdir()
    (folder / "nlu" / "a.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: breakdown\n    examples: |\n'
        "      - ma [box](equipment) ne marche plus\n      - plus de réseau\n"
        "  - intent: terminate\n    examples: |\n      - je veux résilier\n")
    (folder / "rules" / "r.yml").write_text('version: "3.1"\nrules:\n  - rule: bonjour\n    steps:\n'
                                            "      - intent: greet\n      - action: utter_greet\n")
    return folder


def test_write_training_data_lets_a_curated_example_relabel_a_repository_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_data(tmp_path / "data")
    monkeypatch.setattr(dataset, "DATA_DIR", data)
    target = tmp_path / "training"
    (target / "nlu").mkdir(parents=True)
    (target / "nlu" / "stale.yml").write_text("nlu: []\n")
    curated = [Example("Euh, ma BOX ne marche plus !", "complaint"), Example("je veux changer d'offre", "change_offer")]

    assert write_training_data(target, curated) == 4  # 3 of the repository, one relabelled, and 2 curated

    assert sorted(p.name for p in (target / "nlu").iterdir()) == ["a.yml", TRAINING_FILE]
    assert yaml.safe_load((target / "nlu" / "a.yml").read_text())["nlu"] == [
        {"intent": "breakdown", "examples": "- plus de réseau\n"},
        {"intent": "terminate", "examples": "- je veux résilier\n"},
    ]
    assert yaml.safe_load((target / "nlu" / TRAINING_FILE).read_text())["nlu"] == [
        {"intent": "change_offer", "examples": "- je veux changer d'offre\n"},
        {"intent": "complaint", "examples": "- Euh, ma BOX ne marche plus !\n"},
    ]
    assert (target / "rules" / "r.yml").read_text() == (data / "rules" / "r.yml").read_text()
    assert "ma [box](equipment) ne marche plus" in (data / "nlu" / "a.yml").read_text()  # the source is untouched


def test_write_training_data_without_curated_examples_keeps_the_repository_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_data(tmp_path / "data")
    monkeypatch.setattr(dataset, "DATA_DIR", data)
    target = tmp_path / "training"

    assert write_training_data(target, []) == 3
    assert (target / "nlu" / "a.yml").read_text() == (data / "nlu" / "a.yml").read_text()
    assert yaml.safe_load((target / "nlu" / TRAINING_FILE).read_text())["nlu"] == []


def test_heldout_keys_holds_the_first_sentence_of_the_heldout_set() -> None:
    with (REPO_ROOT / "nlu_eval" / "heldout.jsonl").open() as lines:
        first = json.loads(lines.readline())["text"]
    assert text_key(first) in heldout_keys()


def test_heldout_keys_reads_every_never_trained_file_and_nothing_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write(name: str, *texts: str) -> None:
        (tmp_path / name).write_text("".join(json.dumps({"text": t}) + "\n\n" for t in texts))

    write("heldout.jsonl", "Euh ma box ne marche plus")
    write("heldout_b.jsonl", "je veux résilier")
    write("advisor_heldout.jsonl", "quelle est la date de fin d'engagement")
    write("context_cases.jsonl", "et pour la fibre ?")
    write("examples.jsonl", "je veux changer d'offre")
    monkeypatch.setattr(dataset, "HELDOUT_DIR", tmp_path)

    assert heldout_keys() == {text_key(t) for t in ("ma box ne marche plus", "je veux résilier",
                                                    "quelle est la date de fin d'engagement", "et pour la fibre ?")}
