"""The ``copilot`` command runs from the installed package, not from the repository's folder: every top-level
package and every static folder of the pages must be in pyproject's lists (a missing one works in the tests,
which run from the repository, and fails for `copilot run`)."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_top_level_package_is_installed() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["packages"]["find"]["include"]
    # tests and benchmarks run from the repository (pytest, python -m benchmarks.…), never from the package
    packages = sorted(p.parent.name for p in REPO.glob("*/__init__.py") if p.parent.name not in ("tests", "benchmarks"))
    missing = [p for p in packages if not any(fnmatch(p, pattern) for pattern in patterns)]
    assert not missing, f"add {missing} to [tool.setuptools.packages.find] include in pyproject.toml"


def test_every_static_folder_of_the_pages_is_package_data() -> None:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["web_widget"]
    static = REPO / "web_widget" / "static"
    folders = sorted({str(p.parent.relative_to(REPO / "web_widget")) for p in static.rglob("*") if p.is_file()})
    missing = [f for f in folders if f"{f}/*" not in data]
    assert not missing, f"add {missing} to [tool.setuptools.package-data] web_widget in pyproject.toml"
