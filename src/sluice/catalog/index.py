"""An in-process search index over the published catalog, refreshed when the catalog changes.

Counting facets for a common word by joining the terms table costs 25–35 ms a query on
SQLite at 10,000 entries; over numpy arrays it costs well under one. The index is derived
from the ``catalog_terms`` table and rebuilt whenever a catalog entry changed: every
publish, change or withdrawal writes a version row, so their count is the index's version
and each search checks it with one small query. Results are read back from the database,
so what a reader sees is never older than the database itself. It serves search only;
no decision reads it.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from sluice.catalog import repository

Indexes = npt.NDArray[np.int64]
FACETS = ("provider", "domain", "open_level", "batch")


@dataclass(frozen=True)
class Matches:
    total: int
    ids: list[uuid.UUID]
    facets: dict[str, list[tuple[Any, int]]]


class CatalogIndex:
    def __init__(self, session: Session, version: int) -> None:
        self.version = version
        rows = repository.published_for_index(session)
        # Position in this list is the entry's rank when nothing else orders results.
        self.ids: list[uuid.UUID] = [r[0] for r in rows]
        self.titles: list[str] = [r[1] for r in rows]
        position = {entry_id: i for i, entry_id in enumerate(self.ids)}
        self.values: dict[str, list[Any]] = {}
        self.codes: dict[str, npt.NDArray[np.int32]] = {}
        for column, name in enumerate(FACETS, start=2):
            values = sorted({r[column] for r in rows}, key=str)
            code = {v: i for i, v in enumerate(values)}
            self.values[name] = values
            self.codes[name] = np.fromiter((code[r[column]] for r in rows), np.int32, len(rows))
        postings: dict[str, list[int]] = {}
        for entry_id, term in repository.all_terms(session):
            index = position.get(entry_id)
            if index is not None:
                postings.setdefault(term, []).append(index)
        self.postings = {t: np.unique(np.asarray(p, np.int64)) for t, p in postings.items()}

    def search(
        self,
        *,
        terms: set[str],
        singles: list[str],
        phrase: str,
        filters: dict[str, Any],
        limit: int,
        offset: int,
    ) -> Matches:
        matched: Indexes = np.arange(len(self.ids), dtype=np.int64)
        for term in sorted(terms, key=lambda t: len(self.postings.get(t, ()))):
            matched = np.intersect1d(matched, self.postings.get(term, np.empty(0, np.int64)))
            if not matched.size:
                break
        if singles and matched.size:
            keep = [i for i in matched.tolist() if all(c in self.titles[i] for c in singles)]
            matched = np.asarray(keep, np.int64)
        masks = {
            name: self._mask(name, value) for name, value in filters.items() if value is not None
        }
        selected = matched
        for mask in masks.values():
            selected = selected[mask[selected]]
        facets = {}
        for name in FACETS:
            base = matched
            for other, mask in masks.items():
                if other != name:
                    base = base[mask[base]]
            counts = np.bincount(self.codes[name][base], minlength=len(self.values[name]))
            order = np.argsort(-counts, kind="stable")
            facets[name] = [(self.values[name][i], int(counts[i])) for i in order if counts[i]]
        if phrase:
            # Entries whose title holds the whole query come first, then title order.
            in_title = np.fromiter(
                (phrase in self.titles[i] for i in selected.tolist()), bool, selected.size
            )
            selected = np.concatenate([selected[in_title], selected[~in_title]])
        page = selected[offset : offset + limit]
        return Matches(int(selected.size), [self.ids[i] for i in page.tolist()], facets)

    def _mask(self, name: str, value: Any) -> npt.NDArray[np.bool_]:
        try:
            code = self.values[name].index(value)
        except ValueError:
            return np.zeros(len(self.ids), bool)
        mask: npt.NDArray[np.bool_] = self.codes[name] == code
        return mask


_lock = threading.Lock()
_indexes: dict[str, CatalogIndex] = {}


def current(session: Session) -> CatalogIndex:
    """The index for this session's database, rebuilt if the catalog changed since."""
    version = repository.catalog_state(session)
    key = str(session.get_bind().engine.url)
    index = _indexes.get(key)
    if index is not None and index.version == version:
        return index
    with _lock:
        index = _indexes.get(key)
        if index is None or index.version != version:
            index = CatalogIndex(session, version)
            _indexes[key] = index
        return index


def reset() -> None:
    """Forget every index, e.g. after a database was emptied or restored from a backup."""
    with _lock:
        _indexes.clear()
