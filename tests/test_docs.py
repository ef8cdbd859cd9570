"""The reference docs are generated from the code and must be current."""

from __future__ import annotations

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
