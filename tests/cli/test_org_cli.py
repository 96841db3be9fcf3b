"""``medtrace org`` / ``medtrace key`` through Typer's runner, on a SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from medtrace.cli.org import register
from medtrace.store import schema
from medtrace.store.repository import Repository
from medtrace.store.tenancy import authenticate_api_key

runner = CliRunner()
app = typer.Typer()
register(app)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A SQLite store with one organization."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    code, _, stderr = run("org", "create", "Pharma", "--role", "operator", "--db", url,
                          "--gln", "0614141000005", "--prefix", "0614141")  # fmt: skip
    assert code == 0, stderr
    return url


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        # a valid regulator without identifiers
        (["org", "create", "FDA", "--role", "regulator"], 0, "created organization 'FDA'"),
        # a bad GLN check digit
        (["org", "create", "X", "--role", "operator", "--gln", "0614141000006"], 2,
         "invalid GLN '0614141000006'"),
        # a prefix that is not 6-12 digits
        (["org", "create", "X", "--role", "operator", "--prefix", "12"], 2,
         "invalid GS1 Company Prefix '12'"),
        # a taken name
        (["org", "create", "Pharma", "--role", "auditor"], 2, "already exists"),
        # a GLN of another organization
        (["org", "create", "X", "--role", "operator", "--gln", "0614141000005"], 2,
         "already belongs to organization 'Pharma'"),
        # an unknown role (Typer's own usage error)
        (["org", "create", "X", "--role", "owner"], 2, "owner"),
        # a key for an unknown organization
        (["key", "create", "Nobody"], 2, "no organization with id or name 'Nobody'"),
        # revoking an unknown key
        (["key", "revoke", "0000000000000000"], 2, "no API key with id '0000000000000000'"),
    ],
)  # fmt: skip
def test_commands_and_errors(db: str, args: list[str], code: int, message: str) -> None:
    exit_code, stdout, stderr = run(*args, "--db", db)
    assert exit_code == code, stdout + stderr
    assert message in stdout + stderr


def test_key_lifecycle(db: str) -> None:
    code, stdout, stderr = run("key", "create", "Pharma", "--name", "ci", "--db", db)
    assert code == 0, stderr
    token = stdout.strip()
    # the token on stdout, the warning on stderr
    assert token.startswith("mt_")
    assert "shown only once" in stderr
    with Repository.open(db) as repo:
        assert authenticate_api_key(repo.engine, token) is not None
        with repo.engine.connect() as conn:
            stored = conn.execute(sa.select(schema.api_key.c.secret_hash)).scalar_one()
        assert token.split("_", 2)[2] not in stored
    key_id = token.split("_", 2)[1]
    code, stdout, _ = run("key", "revoke", key_id, "--db", db)
    assert (code, stdout.strip()) == (0, f"API key {key_id} revoked")
    with Repository.open(db) as repo:
        assert authenticate_api_key(repo.engine, token) is None


def test_org_list(db: str) -> None:
    assert run("org", "create", "FDA", "--role", "regulator", "--db", db)[0] == 0
    code, stdout, _ = run("org", "list", "--db", db)
    assert code == 0
    lines = [line for line in stdout.splitlines() if "Pharma" in line or "FDA" in line]
    # sorted by name, with role and identifiers
    assert ["FDA" in lines[0], "Pharma" in lines[1]] == [True, True]
    assert "0614141000005" in lines[1]
    assert "regulator" in lines[0]
