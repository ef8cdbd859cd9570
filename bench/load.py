"""Load from a second process: many keep-alive connections on loopback, latencies kept.

The client is asyncio streams with requests written by hand (HTTP/1.1, keep-alive), so it
costs the server's machine as little as a client can; the same client drives both the
peer and ours, so what it costs falls on both alike.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    latencies_ms: tuple[float, ...]
    #: Responses by status code.
    statuses: Mapping[int, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(
    factory: str, *, port: int, workers: int = 2, env: Mapping[str, str] | None = None
) -> Iterator[None]:
    """``uvicorn --factory factory`` with ``workers`` processes, as production serves."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).parent.parent,
        start_new_session=True,
    )
    try:
        _wait_for(port, process)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(1.0)  # every worker up, not only the first
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start within 60 s")


def _request(method: str, path: str, headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _connection(
    port: int,
    requests: Sequence[bytes],
    until: float,
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = 0
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(requests[index % len(requests)])
            index += 1
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _drive(port: int, requests: Sequence[bytes], connections: int, seconds: float) -> Load:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(_connection(port, requests, until, latencies, statuses) for _ in range(connections))
    )
    return Load(len(latencies), time.perf_counter() - started, tuple(latencies), statuses)


def _client_main() -> None:
    """The second process: read the plan on stdin, drive, write the outcome on stdout."""
    plan = json.loads(sys.stdin.read())
    requests = [r.encode("latin-1") for r in plan["requests"]]
    load = asyncio.run(_drive(plan["port"], requests, plan["connections"], plan["seconds"]))
    json.dump(
        {
            "requests": load.requests,
            "seconds": load.seconds,
            "latencies_ms": load.latencies_ms,
            "statuses": load.statuses,
        },
        sys.stdout,
    )


def drive(
    port: int,
    calls: Sequence[tuple[str, str, Mapping[str, str], bytes]],
    *,
    connections: int = 64,
    seconds: float = 10.0,
) -> Load:
    """Send ``calls`` (method, path, headers, body) round-robin over ``connections`` from
    a second process for ``seconds``; every response is read whole."""
    plan = {
        "port": port,
        "connections": connections,
        "seconds": seconds,
        "requests": [_request(*call).decode("latin-1") for call in calls],
    }
    finished = subprocess.run(
        [sys.executable, "-c", "from bench.load import _client_main; _client_main()"],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
        timeout=seconds + 120,
    )
    document = json.loads(finished.stdout)
    return Load(
        document["requests"],
        document["seconds"],
        tuple(document["latencies_ms"]),
        {int(k): v for k, v in document["statuses"].items()},
    )


def summary(load: Load) -> str:
    return (
        f"{load.per_second:,.0f} req/s, p50 {load.percentile(0.5):.1f} ms, "
        f"p99 {load.percentile(0.99):.1f} ms, statuses {dict(load.statuses)}"
    )


def median_of(values: Sequence[float]) -> float:
    return statistics.median(values)
