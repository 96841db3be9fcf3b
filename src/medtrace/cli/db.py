"""``medtrace db``: create, migrate and maintain the store.

The database is ``--db URL`` or ``$MEDTRACE_DB``, else the SQLite file ``./medtrace.sqlite``
(see :mod:`medtrace.store.engine` for the accepted forms). Exit codes: 0 done, 1 the database
could not be used.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from medtrace.errors import MedtraceError
from medtrace.store import migrations
from medtrace.store.engine import create_store_engine, resolve_db
from medtrace.store.repository import Repository

__all__ = ["app", "register"]

EXIT_FAILURE = 1

app = typer.Typer(help="Create, migrate and maintain the event store.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///FILE, a file path, postgresql://...). "
        "Default: $MEDTRACE_DB, else ./medtrace.sqlite.",
        show_default=False,
    ),
]


def _fail(error: Exception) -> typer.Exit:
    err.print(f"error: {error}")
    return typer.Exit(EXIT_FAILURE)


def _migrate(db: str | None) -> None:
    location = resolve_db(db)
    try:
        engine = create_store_engine(location)
    except MedtraceError as error:
        raise _fail(error) from error
    try:
        before = migrations.current_revision(engine)
        migrations.upgrade(engine)
        after = migrations.current_revision(engine)
    except SQLAlchemyError as error:
        raise _fail(error) from error
    finally:
        engine.dispose()
    if before == after:
        out.print(f"{location}: schema already at revision {after}")
    else:
        out.print(f"{location}: schema migrated from revision {before or '(empty)'} to {after}")


@app.command()
def init(db: DbOption = None) -> None:
    """Create the schema (or bring it up to date) in the database."""
    _migrate(db)


@app.command()
def migrate(db: DbOption = None) -> None:
    """Apply pending schema migrations."""
    _migrate(db)


@app.command("rebuild-state")
def rebuild_state(db: DbOption = None) -> None:
    """Rebuild the item-state projection from the event log."""
    location = resolve_db(db)
    try:
        with Repository.open(location, create=False) as repo:
            items = repo.rebuild_state()
    except (MedtraceError, SQLAlchemyError) as error:
        raise _fail(error) from error
    out.print(f"{location}: item state rebuilt, {items} items")


def register(parent: typer.Typer) -> None:
    """Add the ``db`` group to the root application."""
    parent.add_typer(app, name="db")
