"""``medtrace sim generate`` through Typer's runner, on a local app built with ``register``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from medtrace.cli.sim import register

runner = CliRunner()


def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Test root."""

    register(root)
    return root


def test_generate_writes_documents_and_prints_a_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        app(), ["sim", "generate", "--scale", "300", "--seed", "3", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.stderr
    assert "documents" in result.stdout and "incidents" in result.stdout
    assert (tmp_path / "ground_truth.json").is_file()
    assert (tmp_path / "masterdata.json").is_file()
    assert any((tmp_path / "epcis").rglob("*.xml"))
    assert any((tmp_path / "epcis").rglob("*.jsonld"))


def test_generate_json_summary_matches_the_files(tmp_path: Path) -> None:
    args = ["sim", "generate", "--scale", "300", "--seed", "4", "-o", str(tmp_path), "--json"]
    result = runner.invoke(app(), args)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    files = [p for p in (tmp_path / "epcis").rglob("*") if p.is_file()]
    assert summary["documents"] == len(files)
    truth = json.loads((tmp_path / "ground_truth.json").read_text())
    assert summary["incidents"] == truth["incident_counts"]
    assert truth["seed"] == 4


@pytest.mark.parametrize(
    "scale",
    [
        "enormous",  # not a scale name
        "50",  # below the minimum number of packs
    ],
)
def test_generate_refuses_a_bad_scale(tmp_path: Path, scale: str) -> None:
    result = runner.invoke(app(), ["sim", "generate", "--scale", scale, "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "scale" in result.stderr
    assert not (tmp_path / "ground_truth.json").exists()


def test_generate_reports_an_unwritable_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = runner.invoke(app(), ["sim", "generate", "--scale", "300", "-o", str(blocker)])
    assert result.exit_code == 1
    assert "cannot write" in result.stderr
