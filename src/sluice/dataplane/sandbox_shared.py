"""What both sandbox engines share: a workspace's views and limits, results, refusals.

``sandbox_engine`` (DuckDB, and ``engine_for`` which picks an engine) and ``spark_engine``
both build on this module, so neither imports the other at load time: the values a query
returns made JSON-safe, the version directories a view may read, the cache that keeps one
engine per workspace, and the watchdog that ends a query at its time limit. The names the
sandbox uses are re-exported by ``sandbox_engine``.
"""

from __future__ import annotations

import base64
import contextlib
import heapq
import itertools
import math
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import Final, Protocol, TypeVar, cast

from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages

#: Characters of text a result may carry in all; a bigger result is ``query_too_large``
#: (``string_agg`` over a whole dataset fits in memory but not in an API response).
MAX_RESULT_CHARACTERS: Final = 16_000_000


@dataclass(frozen=True)
class ViewSource:
    name: str
    #: A dataset version's directory (Parquet files inside).
    directory: Path


@dataclass(frozen=True)
class EngineLimits:
    memory_mb: int
    threads: int
    timeout_seconds: float
    max_result_rows: int


@dataclass(frozen=True)
class QueryResult:
    #: (name, SQL type) of each output column.
    columns: tuple[tuple[str, str], ...]
    #: JSON-safe values: dates ISO strings, decimals strings, no NaN.
    rows: list[list[object]]
    truncated: bool
    elapsed_ms: int


class QueryTimeout(SluiceError):
    status = 504
    code = "query_timeout"


class QueryTooLarge(SluiceError):
    status = 503
    code = "query_too_large"


class QueryFailed(SluiceError):
    status = 422
    code = "query_failed"


class WorkspaceEngine(Protocol):
    def run(self, sql: str, *, max_rows: int) -> QueryResult: ...

    def close(self) -> None: ...


class _CachedEngine(WorkspaceEngine, Protocol):
    def retire(self) -> None: ...


add_messages(
    {
        "problem.query_timeout": ("查询超时", "Query timed out"),
        "error.query_timeout": (
            "查询运行超过 {seconds} 秒的时间上限，已被中止。请缩小范围（增加筛选条件、减少分组）"
            "后重试。",
            "The query ran longer than the {seconds}-second limit and was stopped. Narrow it "
            "(more filters, fewer groups) and try again.",
        ),
        "problem.query_too_large": ("查询超出资源上限", "Query too large"),
        "error.query_too_large": (
            "查询所需内存超过工作区 {limit} MB 的上限，已被中止。请缩小范围（增加筛选条件、"
            "减少分组或连接）后重试。",
            "The query needed more than the workspace's {limit} MB memory limit and was "
            "stopped. Narrow it (more filters, fewer groups or joins) and try again.",
        ),
        "error.query_too_large.result": (
            "查询结果超过 {limit} 个字符的上限，未予返回。请减少输出的行、列或拼接的文本。",
            "The result is larger than the {limit}-character limit and was not returned. "
            "Return fewer rows, columns or concatenated text.",
        ),
        "problem.query_failed": ("查询未能执行", "Query failed"),
        "error.query_failed": (
            "分析引擎未能执行该查询（{kind}）。为免泄露数据，引擎的原始报错不予显示；请检查"
            "类型转换、除数和函数参数后重试。",
            "The analysis engine could not run the query ({kind}). The engine's own message "
            "is not shown, as it may quote data; check casts, divisors and function "
            "arguments, then try again.",
        ),
        "error.query_failed.statement": (
            "分析引擎只执行一条 SELECT 查询，该语句未被执行。",
            "The analysis engine runs exactly one SELECT query; this statement was not run.",
        ),
        "error.query_failed.closed": (
            "该工作区已关闭，查询未被执行。",
            "This workspace has been closed; the query was not run.",
        ),
    }
)


# --- JSON-safe values -------------------------------------------------------------------


def json_safe(value: object) -> object:
    """A value as JSON can carry it exactly: ISO dates and times, decimals as strings (no
    float rounding), NaN and infinities as null, bytes as base64, nested lists and maps."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else None
    if isinstance(value, datetime | date | time_of_day):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _iso_duration(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(json_safe(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return str(value)


def _iso_duration(value: timedelta) -> str:
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    seconds = value.seconds + value.microseconds / 1_000_000
    return f"{sign}P{value.days}DT{seconds:g}S"


def _text_size(value: object) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_text_size(v) for v in value)
    if isinstance(value, dict):
        return sum(len(k) + _text_size(v) for k, v in value.items())
    return 0


def json_rows(rows: Sequence[Sequence[object]]) -> list[list[object]]:
    """Rows converted by ``json_safe``; ``QueryTooLarge`` past ``MAX_RESULT_CHARACTERS``."""
    converted = [[json_safe(v) for v in row] for row in rows]
    if sum(_text_size(row) for row in converted) > MAX_RESULT_CHARACTERS:
        raise QueryTooLarge("error.query_too_large.result", limit=f"{MAX_RESULT_CHARACTERS:,}")
    return converted


def elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


# --- The directories a workspace may read ------------------------------------------------


def checked_directory(view: ViewSource) -> Path:
    """The version directory, resolved, if it is what a view may read: an existing leaf
    directory holding Parquet. A parent (the data zone, a provider's folder, SLUICE_HOME)
    has subdirectories, so it can never be allowed by mistake."""
    if not view.name.isidentifier():
        raise ValueError(f"view name {view.name!r} is not a plain identifier")
    directory = view.directory.resolve()
    if not directory.is_dir():
        raise ValueError(f"view {view.name}: {directory} is not a directory")
    entries = list(directory.iterdir())
    if any(entry.is_dir() for entry in entries):
        raise ValueError(f"view {view.name}: {directory} has subdirectories")
    if not any(entry.suffix == ".parquet" and entry.is_file() for entry in entries):
        raise ValueError(f"view {view.name}: {directory} holds no Parquet file")
    return directory


# --- One engine per workspace, reused -----------------------------------------------------


@dataclass
class _Entry:
    signature: Hashable
    engine: _CachedEngine
    #: The engines ``cached_engine`` bounds together (``keep``), or ``None``.
    group: str | None
    #: When it was last handed out (least recently used retires first).
    used: int


_E = TypeVar("_E", bound=_CachedEngine)
_engines: dict[str, _Entry] = {}
_engines_lock = threading.Lock()
#: One build at a time per key, outside ``_engines_lock``.
_builds: dict[str, threading.Lock] = {}
#: How many times each key was closed: a build that a close overtook is not kept.
_closings: dict[str, int] = {}
_uses = itertools.count()


def cached_engine(
    key: str,
    signature: Hashable,
    build: Callable[[], _E],
    *,
    group: str | None = None,
    keep: int | None = None,
) -> _E:
    """The workspace's engine if it was built for the same ``signature`` (engine, views,
    limits); otherwise a new one, and the old one retires (closes once its running
    queries end). With ``keep``, at most that many engines of ``group`` stay in this
    process, the least recently used retiring first.

    An engine is built outside the cache's lock: reading a version into memory may take
    seconds, and every other workspace's lookup goes on meanwhile (a second request for
    the same key waits for the first build and takes it)."""
    # The signature names the engine's kind, so a cached engine for it is an _E.
    found = _current(key, signature)
    if found is not None:
        return cast(_E, found)
    with _engines_lock:
        building = _builds.setdefault(key, threading.Lock())
    with building:
        found = _current(key, signature)
        if found is not None:
            return cast(_E, found)
        with _engines_lock:
            closings = _closings.get(key, 0)
        engine = build()
        with _engines_lock:
            if _closings.get(key, 0) != closings:
                # Closed while it was built (an agreement ended, a workspace closed): not
                # kept, and retired at once, so the query that asked for it is refused.
                retiring: list[_CachedEngine] = [engine]
            else:
                replaced = _engines.get(key)
                _engines[key] = _Entry(signature, engine, group, next(_uses))
                retiring = [replaced.engine] if replaced is not None else []
                if keep is not None:
                    retiring += _beyond(group, keep)
    for old in retiring:
        old.retire()
    return engine


def _current(key: str, signature: Hashable) -> _CachedEngine | None:
    with _engines_lock:
        entry = _engines.get(key)
        if entry is None or entry.signature != signature:
            return None
        entry.used = next(_uses)
        return entry.engine


def _beyond(group: str | None, keep: int) -> list[_CachedEngine]:
    """Drop the least recently used engines of ``group`` past ``keep`` (under the lock)."""
    members = sorted((e.used, k) for k, e in _engines.items() if e.group == group)
    return [_engines.pop(k).engine for _, k in members[: max(0, len(members) - keep)]]


def close_workspace(key: str) -> None:
    """The workspace closed: interrupt its running queries and release its engine."""
    with _engines_lock:
        entry = _engines.pop(key, None)
        _closings[key] = _closings.get(key, 0) + 1
    if entry is not None:
        entry.engine.close()


def forget_engine(key: str, engine: object) -> None:
    """Drop ``engine`` from the cache if it is still the one for ``key``."""
    with _engines_lock:
        entry = _engines.get(key)
        if entry is not None and entry.engine is engine:
            del _engines[key]


# --- The time limit -----------------------------------------------------------------------


class Alarm:
    """One query's deadline: ``callback`` runs once at ``deadline`` unless disarmed first."""

    __slots__ = ("_callback", "_lock", "armed", "deadline", "fired")

    def __init__(self, deadline: float, callback: Callable[[], object]) -> None:
        self.deadline = deadline
        self._callback = callback
        self._lock = threading.Lock()
        self.armed = True
        self.fired = False

    def disarm(self) -> None:
        """After this returns the callback never runs (it may have run already: ``fired``)."""
        with self._lock:
            self.armed = False

    def fire(self) -> None:
        with self._lock:
            if not self.armed:
                return
            self.armed = False
            self.fired = True
            # The query may have ended as its deadline came: nothing left to stop.
            with contextlib.suppress(Exception):
                self._callback()


class Watchdog:
    """One thread that rings every query's alarm. (A ``threading.Timer`` per query starts
    a thread each time: a few milliseconds at p95, most of a query's fixed cost.)"""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._alarms: list[tuple[float, int, Alarm]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, callback: Callable[[], object]) -> Alarm:
        alarm = Alarm(time.monotonic() + seconds, callback)
        with self._condition:
            heapq.heappush(self._alarms, (alarm.deadline, next(self._order), alarm))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="sluice-query-watchdog", daemon=True
                )
                self._thread.start()
            elif self._alarms[0][2] is alarm:
                self._condition.notify()
        return alarm

    def _next_due(self) -> Alarm:
        with self._condition:
            while True:
                while self._alarms and not self._alarms[0][2].armed:
                    heapq.heappop(self._alarms)
                if not self._alarms:
                    self._condition.wait()
                    continue
                wait = self._alarms[0][0] - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._alarms)[2]
                self._condition.wait(wait)

    def _watch(self) -> None:
        while True:
            self._next_due().fire()


WATCHDOG: Final = Watchdog()
