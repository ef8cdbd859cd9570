"""The benchmark harness: run, compare, record.

A benchmark returns ``Result``s; each carries our throughput, the peer's (or the limit's)
measured in the same run on the same machine, and the ratio between them. Absolute numbers
vary between machines; the ratio is what a regression check can hold on to.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Result:
    name: str
    ours: float
    peer: float
    unit: str
    peer_name: str
    #: The ratio the issue or design asks for (ours / peer), if any.
    target_ratio: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.peer if self.peer else float("inf")

    @property
    def verdict(self) -> str:
        if self.target_ratio is None:
            return "—"
        return "ok" if self.ratio >= self.target_ratio else "BELOW TARGET"


Benchmark = Callable[[bool], list[Result]]


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Yields a one-element list that holds the elapsed seconds after the block."""
    elapsed = [0.0]
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - started


def markdown(results: list[Result]) -> str:
    lines = [
        "| benchmark | ours | peer / limit | ratio | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        target = f"≥ {r.target_ratio:.2f}" if r.target_ratio is not None else "—"
        lines.append(
            f"| {r.name} | {r.ours:,.0f} {r.unit} | {r.peer:,.0f} {r.unit} ({r.peer_name}) "
            f"| {r.ratio:.2f} | {target} | {r.verdict} |"
        )
    return "\n".join(lines) + "\n"


def write(results: list[Result], directory: Path = RESULTS) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
        },
        "results": [{**asdict(r), "ratio": r.ratio, "verdict": r.verdict} for r in results],
    }
    json_path = directory / "latest.json"
    md_path = directory / "latest.md"
    json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    md_path.write_text(markdown(results))
    return json_path, md_path
