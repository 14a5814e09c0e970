"""The 360° field catalogue (crm_core.services.fields) and its one visibility rule."""

import re
from pathlib import Path

from crm_core.services import fields, habilitations, view360
from tests.factories import advisor

DOCS = Path(__file__).resolve().parents[3] / "docs" / "crm.md"


def test_every_field_of_the_catalogue_is_computed_and_every_computed_field_is_in_the_catalogue() -> None:
    assert set(view360.COMPUTE) == set(fields.BY_NAME)
    assert len(fields.BY_NAME) == len(fields.FIELDS), "field names are unique"
    blocks = [name for name, _ in fields.BLOCKS]
    assert blocks == list(habilitations.BLOCKS)
    for spec in fields.FIELDS:
        assert spec.block in blocks and spec.priority in fields.PRIORITIES, spec.name
        assert spec.permission is None or spec.permission.startswith("field:"), spec.name


def test_the_catalogue_is_the_table_of_the_docs() -> None:
    rows = re.findall(r"^\| (\w+) \| `(\w+)` \| (.+?) \| (\w+) \| `block:\w+`(?: \+ `(field:\w+)`)? \|$",
                      DOCS.read_text(encoding="utf-8"), re.MULTILINE)
    assert [(b, n, label, p, perm or None) for b, n, label, p, perm in rows] == \
        [(f.block, f.name, f.label, f.priority, f.permission) for f in fields.FIELDS]


def test_a_field_is_visible_with_its_block_and_its_own_permission() -> None:
    n2 = advisor("n2_technical").permissions
    assert fields.can_see(n2, "identity") and fields.can_see(n2, "lines")
    assert not fields.can_see(n2, "guardianship"), "identification, but no field:guardianship"
    assert not fields.can_see(n2, "payer_quality"), "no block:billing"
    assert not fields.can_see(n2, "no_such_field")
    assert not fields.can_see(frozenset({"field:collection"}), "collection"), "the block is needed too"
    assert fields.can_see(frozenset({"block:billing", "field:collection"}), "collection")


def test_visible_fields_are_the_catalogue_in_order_cut_to_the_profile() -> None:
    everything = advisor("supervisor").permissions
    assert fields.visible_fields(everything) == list(fields.FIELDS)
    n1 = [f.name for f in fields.visible_fields(advisor("n1_customer_contact").permissions)]
    assert "collection" not in n1 and "collection_events" not in n1 and "payment_method" in n1
    assert fields.visible_fields(advisor("trainer").permissions) == []
    assert fields.SENSITIVE == {"guardianship", "electronic_tag", "payment_method", "collection", "collection_events"}
