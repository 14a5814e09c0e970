"""docs/steering.md lists every KPI of the code with the same label, unit, formula and direction."""

import re
from pathlib import Path

from steering.kpis import KPIS

DOC = Path(__file__).resolve().parents[2] / "docs" / "steering.md"


def test_the_kpi_table_of_the_docs_is_the_catalogue() -> None:
    rows = re.findall(r"^\| `(\w+)` \| (.+?) \| (\w+) \| (.+?) \| (\S+) \|$", DOC.read_text(), re.M)
    documented = {name: (label, unit, formula, better) for name, label, unit, formula, better in rows}
    assert documented == {k.name: (k.label, k.unit, k.formula, k.better or "—") for k in KPIS}
