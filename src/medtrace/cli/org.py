"""``medtrace org`` / ``medtrace key``: organizations (tenants) and their API keys.

* ``org create NAME --role operator|auditor|regulator|admin [--gln GLN ...] [--prefix GCP ...]``
* ``org list``
* ``key create ORG [--name N]`` — prints the token ``mt_<key_id>_<secret>`` once (only a hash is
  stored, see docs/security.md);
* ``key revoke KEY_ID``.

Thin by design: parse, call :mod:`medtrace.store.tenancy`, print. The database is ``--db`` or
``$MEDTRACE_DB``, else ``./medtrace.sqlite``. Exit codes: 0 done, 1 the database could not be
used, 2 invalid input (a GLN, a prefix, a role, a taken name, an unknown organization or key;
the message names it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from medtrace.errors import MedtraceError
from medtrace.store.engine import resolve_db
from medtrace.store.principal import Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import (
    TenancyError,
    create_api_key,
    create_organization,
    list_organizations,
    revoke_api_key,
)

__all__ = ["register"]

EXIT_FAILURE = 1
EXIT_INVALID = 2

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

org_app = typer.Typer(help="Organizations: the tenants requests act for.", no_args_is_help=True)
key_app = typer.Typer(help="API keys of organizations.", no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///FILE, a file path, postgresql://...). "
        "Default: $MEDTRACE_DB, else ./medtrace.sqlite.",
        show_default=False,
    ),
]


@contextmanager
def _engine(db: str | None) -> Iterator[Engine]:
    """The store's engine; database problems exit 1, invalid input exits 2."""
    try:
        repo = Repository.open(resolve_db(db))
    except (MedtraceError, SQLAlchemyError) as error:
        err.print(f"error: {error}")
        raise typer.Exit(EXIT_FAILURE) from error
    try:
        yield repo.engine
    except TenancyError as error:
        err.print(f"error: {error}")
        raise typer.Exit(EXIT_INVALID) from error
    except SQLAlchemyError as error:
        err.print(f"error: {error}")
        raise typer.Exit(EXIT_FAILURE) from error
    finally:
        repo.close()


@org_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The organization's unique name.")],
    role: Annotated[Role, typer.Option("--role", help="What the organization may do.")],
    gln: Annotated[
        list[str] | None,
        typer.Option("--gln", help="A GLN (13 digits) of the organization; repeatable."),
    ] = None,
    prefix: Annotated[
        list[str] | None,
        typer.Option("--prefix", help="A GS1 Company Prefix (6-12 digits); repeatable."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create an organization."""
    with _engine(db) as engine:
        org = create_organization(
            engine, name=name, role=role, glns=gln or (), company_prefixes=prefix or ()
        )
    out.print(f"created organization {org.name!r} ({org.role.value}) with id {org.org_id}")


@org_app.command("list")
def list_(db: DbOption = None) -> None:
    """List the organizations."""
    with _engine(db) as engine:
        orgs = list_organizations(engine)
    table = Table("name", "role", "GLNs", "prefixes", "id")
    for org in orgs:
        table.add_row(
            org.name,
            org.role.value,
            " ".join(sorted(org.glns)),
            " ".join(sorted(org.company_prefixes)),
            org.org_id,
        )
    out.print(table)


@key_app.command("create")
def key_create(
    org: Annotated[str, typer.Argument(help="The organization (name or id).")],
    name: Annotated[str | None, typer.Option("--name", help="A label for the key.")] = None,
    db: DbOption = None,
) -> None:
    """Create an API key and print its token once."""
    with _engine(db) as engine:
        key_id, token = create_api_key(engine, org, name=name)
    err.print(
        f"API key {key_id} created. Store the token now: it is shown only once and "
        "cannot be recovered (only a hash is kept)."
    )
    out.print(token)


@key_app.command("revoke")
def key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after 'mt_').")],
    db: DbOption = None,
) -> None:
    """Revoke an API key: it and the tokens issued to it stop working at once."""
    with _engine(db) as engine:
        revoke_api_key(engine, key_id)
    out.print(f"API key {key_id} revoked")


def register(app: typer.Typer) -> None:
    """Add the ``org`` and ``key`` groups to the root application."""
    app.add_typer(org_app, name="org")
    app.add_typer(key_app, name="key")
