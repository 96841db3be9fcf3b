"""The benchmark runner (``python -m benchmarks run``)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.__main__ import carry_backends
from benchmarks.store_capture import header_lines

from benchmarks import machine_info, reference_loop_s


def test_a_run_for_one_backend_keeps_the_other_backends_figures(tmp_path: Path) -> None:

    previous = tmp_path / "http_load.json"
    previous.write_text(
        json.dumps(
            {
                "scale": "full",
                "command": "python -m benchmarks run --only x --backend sqlite; "
                "python -m benchmarks run --only x --backend postgres",
                "postgres_version": "15.20",
                "backends": {"sqlite": {"old": 1}, "postgres": {"old": 2}},
            }
        )
    )
    new = {
        "scale": "full",
        "command": "python -m benchmarks run --only x --backend sqlite",
        "backends": {"sqlite": {"new": 1}},
    }
    assert carry_backends(new, previous, "sqlite") == ["postgres"]
    assert new["backends"] == {"sqlite": {"new": 1}, "postgres": {"old": 2}}
    assert new["command"] == (
        "python -m benchmarks run --only x --backend postgres; "
        "python -m benchmarks run --only x --backend sqlite"
    )
    assert new["postgres_version"] == "15.20"
    other_scale = {"scale": "small", "command": "c", "backends": {"sqlite": {}}}
    assert carry_backends(other_scale, previous, "sqlite") == []  # never across scales
    everything = {"scale": "full", "command": "c", "backends": {"sqlite": {}}}
    assert carry_backends(everything, previous, None) == []  # a run of every backend


def test_results_record_the_hosts_speed_and_the_header_shows_it() -> None:
    assert reference_loop_s(repeat=1) > 0
    machine = machine_info()
    assert machine["reference_loop_s"] > 0
    result = {"date": "d", "command": "c", "scale": "full", "machine": machine}
    first = header_lines(result, "note")[0]
    assert f"{machine['reference_loop_s']:.2f} s of CPU" in first
    older = {**result, "machine": {k: v for k, v in machine.items() if k != "reference_loop_s"}}
    assert "Reference loop" not in header_lines(older, "note")[0]  # results from before it
