"""``make bench``: run every benchmark, print the table, write bench/results/latest.*"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import (
    bench_audit,
    bench_catalog,
    bench_demo,
    bench_gateway,
    bench_ingest,
    bench_policy,
    bench_sandbox,
    bench_sm2,
    bench_suite,
)
from bench.harness import RESULTS, Benchmark, Result, markdown, write

BENCHMARKS: dict[str, Benchmark] = {
    "demo": bench_demo.run,
    "catalog": bench_catalog.run,
    "ingest": bench_ingest.run,
    "gateway": bench_gateway.run,
    "policy": bench_policy.run,
    "sandbox": bench_sandbox.run,
    "sm2": bench_sm2.run,
    "audit": bench_audit.run,
    "suite": bench_suite.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"which to run (default all: {', '.join(BENCHMARKS)})"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the harness")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write latest.*")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    results: list[Result] = []
    for name in args.names or BENCHMARKS:
        results.extend(BENCHMARKS[name](args.quick))
    json_path, md_path = write(results, args.out)
    print(markdown(results))
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
