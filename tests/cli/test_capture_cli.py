"""``medtrace capture`` and ``medtrace db`` on a local Typer app (the lead wires them into main)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from medtrace.cli import capture, db
from medtrace.store.repository import Repository
from tests.store.test_capture import INVALID, document, event


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Test root."""

    capture.register(root)
    db.register(root)
    return root


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "good": tmp_path / "good.jsonld",
        "bad": tmp_path / "bad.jsonld",
    }
    paths["good"].write_bytes(document(event("1"), event("2")))
    paths["bad"].write_bytes(document(event("3"), INVALID))
    return paths


@pytest.mark.parametrize(
    ("names", "behaviour", "code", "stored"),
    [
        # a valid file: exit 0
        (["good"], "rollback", 0, 2),
        # the same file twice: the second time duplicates only, still 0
        (["good", "good"], "rollback", 0, 2),
        # an invalid event under rollback: exit 2, nothing of that file stored
        (["good", "bad"], "rollback", 2, 2),
        # under proceed the valid event of the bad file is kept, still exit 2
        (["good", "bad"], "proceed", 2, 3),
    ],
)
def test_capture(  # noqa: PLR0917 - fixtures plus the table's columns
    app: typer.Typer,
    files: dict[str, Path],
    tmp_path: Path,
    names: list[str],
    behaviour: str,
    code: int,
    stored: int,
) -> None:
    database = tmp_path / "cli.sqlite"
    args = ["capture", *(str(files[n]) for n in names), "--db", str(database)]
    result = CliRunner().invoke(app, [*args, "--behaviour", behaviour])
    assert result.exit_code == code, result.output
    assert "captured" in result.stdout
    with Repository.open(database) as repo:
        assert repo.event_count() == stored
    if code == 2:
        assert "aggregation.parent-required" in result.stderr


def test_database_from_environment(
    app: typer.Typer, files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "env.sqlite"
    monkeypatch.setenv("MEDTRACE_DB", f"sqlite:///{database}")
    result = CliRunner().invoke(app, ["capture", str(files["good"])])
    assert result.exit_code == 0, result.output
    assert database.is_file()


def test_db_init_migrate_rebuild(app: typer.Typer, files: dict[str, Path], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    runner = CliRunner()
    first = runner.invoke(app, ["db", "init", "--db", url])
    assert first.exit_code == 0 and "migrated from revision (empty)" in first.stdout
    again = runner.invoke(app, ["db", "migrate", "--db", url])
    assert again.exit_code == 0 and "already at revision" in again.stdout
    assert runner.invoke(app, ["capture", str(files["good"]), "--db", url]).exit_code == 0
    rebuilt = runner.invoke(app, ["db", "rebuild-state", "--db", url])
    assert rebuilt.exit_code == 0 and "2 items" in rebuilt.stdout


@pytest.mark.parametrize(
    "args",
    [
        # an unsupported database URL
        ["db", "init", "--db", "mysql://u@h/x"],
        # rebuild-state on a database that was never initialised
        ["db", "rebuild-state", "--db", "{tmp}/empty.sqlite"],
        # capture into a directory that does not exist
        ["capture", "{good}", "--db", "{tmp}/missing/x.sqlite"],
    ],
)
def test_unusable_database_exits_1(
    app: typer.Typer, files: dict[str, Path], tmp_path: Path, args: list[str]
) -> None:
    filled = [a.format(tmp=tmp_path, good=files["good"]) for a in args]
    result = CliRunner().invoke(app, filled)
    assert result.exit_code == 1, result.output
    assert "error:" in result.stderr
