"""The benchmark harness runs end to end and records ratios (speed itself lives in bench/)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import main


def test_quick_run_writes_json_and_markdown(tmp_path: Path) -> None:
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    document = json.loads((tmp_path / "latest.json").read_text())
    [result] = document["results"]
    assert result["unit"] == "rows/s"
    assert result["ours"] > 0 and result["peer"] > 0
    assert abs(result["ratio"] - result["ours"] / result["peer"]) < 1e-9
    table = (tmp_path / "latest.md").read_text()
    assert table.splitlines()[0].startswith("| benchmark | ours | peer / limit | ratio")
    assert "demo generation" in table
