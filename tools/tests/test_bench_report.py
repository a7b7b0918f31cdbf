"""The benchmark report's readers: criterion's result files and the resized config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cow_tools.bench_report import _config_with, criterion_rows

REPO = Path(__file__).resolve().parents[2]


def _bench(root: Path, group: str, fn: str, median_ns: float, throughput: dict[str, int] | None) -> None:
    d = root / group / fn / "new"
    d.mkdir(parents=True)
    meta = {"full_id": f"{group}/{fn}", "throughput": throughput}
    (d / "benchmark.json").write_text(json.dumps(meta))
    (d / "estimates.json").write_text(json.dumps({"median": {"point_estimate": median_ns}}))


def test_criterion_rows_give_medians_and_rates(tmp_path: Path) -> None:
    # 1 GiB in 0.5 s is 2 GiB/s; 1,000 elements in 1 ms is 1,000,000 per second.
    _bench(tmp_path, "g", "bytes", 5e8, {"Bytes": 2**30})
    _bench(tmp_path, "g", "elements", 1e6, {"Elements": 1000})
    _bench(tmp_path, "h", "plain", 1234.0, None)
    rows = criterion_rows(tmp_path)
    assert rows == [
        ("g/bytes", 5e8, "2.00 GiB/s"),
        ("g/elements", 1e6, "1,000,000 /s"),
        ("h/plain", 1234.0, ""),
    ]


def test_the_resized_config_is_the_shipped_one_at_another_size(tmp_path: Path) -> None:
    shipped = REPO / "configs" / "embedded.toml"
    out = _config_with(shipped, tmp_path / "c.toml", 672)
    text = out.read_text()
    assert "\nwidth = 672\nheight = 672\n" in text
    assert text.replace("width = 672\nheight = 672", "width = 224\nheight = 224") == shipped.read_text()
    (tmp_path / "other.toml").write_text("[sim]\n")
    with pytest.raises(ValueError, match="width = 224"):
        _config_with(tmp_path / "other.toml", tmp_path / "x.toml", 672)
