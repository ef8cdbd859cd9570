"""Per-download fingerprints (``dataplane.fingerprints``): a marked copy means exactly what
the file meant, and a leaked copy names its download among 20 after its rows were
shuffled, 30% dropped and the file re-saved; what the marks cannot survive names nobody."""

from __future__ import annotations

import csv
import io
import os
import random

import pytest

from sluice.dataplane.fingerprints import identify, mark, numeric_type

HEADER = ["district", "industry", "firms", "avg_capital", "code"]


def export_csv(rows: int = 120, seed: int = 1) -> bytes:
    """An export like the gate writes: text groups, a count, a decimal average, and a code
    column of digits that is text."""
    draw = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n in range(rows):
        writer.writerow(
            [
                f"区{n // 12}",
                f"行业{n % 12}",
                str(draw.randint(10, 500)),
                f"{draw.randint(100, 99999) / 100:.2f}",
                f"2108{n:02d}",
            ]
        )
    return out.getvalue().encode()


def read(content: bytes) -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return header, rows


def meaning(content: bytes) -> list[tuple[str, ...]]:
    def shortest(cell: str) -> str:
        return cell.rstrip("0").rstrip(".") if "." in cell else cell

    return sorted(tuple(shortest(c) for c in row) for row in read(content)[1])


def resave(header: list[str], rows: list[list[str]], **options: object) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, **options)  # type: ignore[arg-type]
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def seeds() -> list[bytes]:
    return [os.urandom(16) for _ in range(20)]


@pytest.fixture(scope="module")
def downloads(seeds: list[bytes]) -> list[bytes]:
    original = export_csv()
    return [
        mark(original, seed, numeric_columns={"firms", "avg_capital"}).content for seed in seeds
    ]


def test_a_marked_copy_means_what_the_export_meant(downloads: list[bytes]) -> None:
    original = export_csv()
    assert len(set(downloads)) == 20
    for content in downloads:
        header, rows = read(content)
        assert header == HEADER
        assert meaning(content) == meaning(original)
        # Text, and digits declared as text, are never touched.
        assert sorted(r[4] for r in rows) == sorted(r[4] for r in read(original)[1])
        assert all("." not in r[4] for r in rows)
    # Some numbers gained a trailing zero; none changed value.
    changed = [c for c in (r[2] for r in read(downloads[0])[1]) if c.endswith(".0")]
    assert 0 < len(changed) < 120


def test_a_leak_names_its_download_after_shuffling_dropping_and_resaving(
    seeds: list[bytes], downloads: list[bytes]
) -> None:
    candidates = [(f"download-{n}", seed) for n, seed in enumerate(seeds)]
    for leaked_index in (0, 7, 19):
        header, rows = read(downloads[leaked_index])
        draw = random.Random(leaked_index)
        draw.shuffle(rows)
        kept = rows[: round(len(rows) * 0.7)]
        for options in (
            {},
            {"quoting": csv.QUOTE_ALL, "lineterminator": "\n"},
            {"quoting": csv.QUOTE_NONNUMERIC},
        ):
            leaked = resave(header, kept, **options)
            assert identify(leaked, candidates) == f"download-{leaked_index}"
            assert identify(b"\xef\xbb\xbf" + leaked, candidates) == f"download-{leaked_index}"


def test_numbers_reformatted_in_place_still_name_the_download_by_its_order(
    seeds: list[bytes], downloads: list[bytes]
) -> None:
    """A spreadsheet re-save writes numbers its own way but keeps the rows' order."""
    candidates = list(enumerate(seeds))
    header, rows = read(downloads[3])
    draw = random.Random(3)
    kept = [[c.rstrip("0").rstrip(".") if "." in c else c for c in row] for row in rows]
    kept = [row for row in kept if draw.random() > 0.3]
    assert identify(resave(header, kept), candidates) == 3


def test_an_unrelated_or_unmarked_file_names_nobody(
    seeds: list[bytes], downloads: list[bytes]
) -> None:
    candidates = list(enumerate(seeds))
    assert identify(export_csv(), candidates) is None  # the export itself, unmarked
    assert identify(export_csv(seed=2), candidates) is None
    other = [os.urandom(16) for _ in range(20)]
    assert identify(downloads[5], list(enumerate(other))) is None
    assert identify(b"\xff\xfe not text", candidates) is None
    assert identify(b"", candidates) is None
    assert identify(b"a,b\n", candidates) is None


def test_a_file_too_small_to_attribute_names_nobody(seeds: list[bytes]) -> None:
    """Nine districts and their counts, shuffled: nine marks cannot tell one buyer from
    chance (2⁻⁹ is far above the threshold), so nobody is named, not even the right one."""
    small = resave(["district", "firms"], [[f"区{n}", str(10 + n)] for n in range(9)])
    marked = mark(small, seeds[0]).content
    header, rows = read(marked)
    random.Random(0).shuffle(rows)
    assert identify(resave(header, rows), list(enumerate(seeds))) is None
    # Kept in order, the order adds its eight pairs: still not enough.
    assert identify(marked, list(enumerate(seeds))) is None


def test_without_declared_types_numeric_columns_are_found_and_marked(seeds: list[bytes]) -> None:
    marked = mark(export_csv(), seeds[1])
    assert marked.rows == 120
    header, rows = read(marked.content)
    assert any(r[4].endswith(".0") for r in rows)  # digits only: read as a number
    assert identify(resave(header, rows[:90]), list(enumerate(seeds))) == 1


def test_a_header_only_file_stays_as_it_is(seeds: list[bytes]) -> None:
    marked = mark(b"district,firms\r\n", seeds[0])
    assert (marked.rows, read(marked.content)) == (0, (["district", "firms"], []))


def test_numeric_types_are_those_duckdb_names() -> None:
    assert numeric_type("BIGINT") and numeric_type("DECIMAL(18,2)") and numeric_type("double")
    assert not numeric_type("VARCHAR") and not numeric_type("DATE")
