"""Journey "move": what an advisor's order says of the move (« il déménage au 4 rue Pasteur 69007 Lyon le
15 janvier »)."""

from typing import Any

from actions import extract


def move_address(text: str, form: dict[str, Any], intent: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    filled: dict[str, Any] = dict(extract.address(text))
    when = extract.entity(entities, "date")
    if when:
        filled["move_date"] = when
    return filled


FILLERS = {"move_address": move_address}
