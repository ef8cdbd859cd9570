"""The reference docs are generated from the code and must be current."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sluice.docgen import DOCS, GENERATED

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("filename", sorted(GENERATED))
def test_generated_doc_is_current(filename: str) -> None:
    committed = (DOCS / filename).read_text(encoding="utf-8")
    assert committed == GENERATED[filename](), f"run `make docs` and commit docs/{filename}"


def test_architecture_names_every_package_that_exists() -> None:
    text = (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
    packages = sorted(
        p.name
        for p in (ROOT / "src/sluice").iterdir()
        if p.is_dir() and (p / "__init__.py").exists()
    )
    missing = [name for name in packages if f"{name}/" not in text]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:1500]
    assert "make demo" in head and "make test" in head


def _cited(text: str) -> list[str]:
    """The code and tests docs/requirements.md cites: `pkg/module.py`, `pkg/`, `tests/...py`,
    `tests/...py::test_name`, and `::test_name` for another test of the file cited before."""
    cited: list[str] = []
    current_file = ""
    for row in text.splitlines():
        if not row.startswith("| "):
            continue
        for quoted in re.findall(r"`([^`]+)`", row):
            for token in quoted.split():
                token = token.strip(",;()")
                path, _, test = token.partition("::")
                if path.startswith("tests/") and path.endswith(".py"):
                    current_file = path
                elif token.startswith("::"):
                    path = current_file
                if path.startswith(("tests/", "bench/")) or re.fullmatch(
                    r"[a-z_]+/([\w/]+\.py)?", path
                ):
                    cited.append(f"{path}::{test}" if test else path)
    return cited


def test_every_path_and_test_the_requirements_cite_exists() -> None:
    """A requirement row that names moved or deleted code or tests proves nothing."""
    missing = []
    for reference in _cited((ROOT / "docs/requirements.md").read_text(encoding="utf-8")):
        path, _, test = reference.partition("::")
        base = ROOT if path.startswith(("tests/", "bench/")) else ROOT / "src/sluice"
        if not (base / path).exists():
            missing.append(reference)
        elif test:
            tree = ast.parse((base / path).read_text(encoding="utf-8"))
            names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
            if test.split("[")[0] not in names:
                missing.append(reference)
    assert sorted(set(missing)) == []
