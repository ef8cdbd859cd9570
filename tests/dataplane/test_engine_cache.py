"""The engines a process keeps (``sandbox_shared.cached_engine``): one per key and
signature, a bounded group retiring its least recently used, and a slow build holding up
no other key's lookup."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from sluice.dataplane import sandbox_shared
from sluice.dataplane.sandbox_shared import QueryResult, cached_engine


class _Engine:
    def __init__(self, name: str) -> None:
        self.name = name
        self.retired = False

    def run(self, sql: str, *, max_rows: int) -> QueryResult:
        raise NotImplementedError

    def close(self) -> None:
        self.retired = True

    def retire(self) -> None:
        self.retired = True


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"test-{uuid.uuid4()}"
    yield prefix
    for key in [k for k in sandbox_shared._engines if k.startswith(prefix)]:
        sandbox_shared.close_workspace(key)


def _get(key: str, group: str, keep: int = 2, signature: str = "v1") -> _Engine:
    return cached_engine(key, signature, lambda: _Engine(key), group=group, keep=keep)


def test_a_bounded_group_retires_its_least_recently_used_engine(prefix: str) -> None:
    a, b = _get(f"{prefix}-a", prefix), _get(f"{prefix}-b", prefix)
    assert _get(f"{prefix}-a", prefix) is a  # kept, and now the most recently used
    c = _get(f"{prefix}-c", prefix)
    assert (a.retired, b.retired, c.retired) == (False, True, False)
    assert f"{prefix}-b" not in sandbox_shared._engines
    # Asked for again, it is built anew; a new signature replaces an engine too.
    assert _get(f"{prefix}-b", prefix) is not b
    assert a.retired  # a was now the least recently used of a, c, b
    newer = _get(f"{prefix}-c", prefix, signature="v2")
    assert newer is not c and c.retired


def test_an_engine_being_built_holds_up_no_other_key(prefix: str) -> None:
    started, release = threading.Event(), threading.Event()

    def slow() -> _Engine:
        started.set()
        assert release.wait(30)
        return _Engine("slow")

    with ThreadPoolExecutor(2) as pool:
        building = pool.submit(cached_engine, f"{prefix}-slow", "v1", slow)
        assert started.wait(30)
        other = pool.submit(_get, f"{prefix}-other", prefix)
        assert other.result(timeout=10).name == f"{prefix}-other"
        release.set()
        assert building.result(timeout=10).name == "slow"


def test_an_engine_whose_workspace_closed_while_it_was_built_is_not_kept(prefix: str) -> None:
    """An agreement ending (``product_calls.release``) or a workspace closing while its
    engine is being built: the build is not kept, and the engine retires at once."""
    started, release = threading.Event(), threading.Event()
    key = f"{prefix}-closing"

    def slow() -> _Engine:
        started.set()
        assert release.wait(30)
        return _Engine("slow")

    with ThreadPoolExecutor(1) as pool:
        building = pool.submit(cached_engine, key, "v1", slow)
        assert started.wait(30)
        sandbox_shared.close_workspace(key)
        release.set()
        built = building.result(timeout=10)
    assert built.retired and key not in sandbox_shared._engines
    # Asked for afterwards, it is built and kept as usual.
    again = _get(key, prefix)
    assert not again.retired and sandbox_shared._engines[key].engine is again
