"""``medtrace capture FILE...``: capture EPCIS documents (XML or JSON-LD) into the store.

Each file is one capture (one transaction, EPCIS 2.0 §8.2.6). ``--behaviour rollback`` (the
default) keeps nothing of a file with an invalid event; ``proceed`` keeps its valid events.
The database is ``--db URL`` or ``$MEDTRACE_DB``, else the SQLite file ``./medtrace.sqlite``
(created on first use). Exit codes: 0 everything captured (duplicates included), 1 the
database could not be used, 2 something was rejected.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.exc import SQLAlchemyError

from medtrace.errors import MedtraceError
from medtrace.store.capture import CaptureResult
from medtrace.store.engine import resolve_db
from medtrace.store.repository import Repository

__all__ = ["capture_command", "register"]

EXIT_FAILURE = 1
EXIT_REJECTED = 2
_SHOWN_PROBLEMS = 20

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class BehaviourChoice(StrEnum):
    """``GS1-Capture-Error-Behaviour`` (EPCIS 2.0 REST binding)."""

    ROLLBACK = "rollback"
    PROCEED = "proceed"


def _report(path: Path, result: CaptureResult, seconds: float) -> None:
    rate = result.captured / seconds if seconds > 0 else 0.0
    out.print(
        f"{path}: captured {result.captured}, duplicates {result.duplicates}, "
        f"rejected {len(result.rejected)} ({rate:,.0f} events/s, job {result.job_id})"
    )
    for problem in result.rejected[:_SHOWN_PROBLEMS]:
        where = f"event {problem.event_index}" if problem.event_index is not None else "document"
        value = f" [{problem.value}]" if problem.value else ""
        err.print(f"  {where} {problem.location}: {problem.message}{value} ({problem.rule})")
    hidden = len(result.rejected) - _SHOWN_PROBLEMS
    if hidden > 0:
        err.print(f"  ... and {hidden} more problems")


def capture_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="EPCIS documents (XML 1.2/2.0 or JSON-LD).", show_default=False),
    ],
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL or SQLite file. Default: $MEDTRACE_DB, else ./medtrace.sqlite.",
            show_default=False,
        ),
    ] = None,
    behaviour: Annotated[
        BehaviourChoice,
        typer.Option(
            "--behaviour",
            help="rollback: store nothing of a file with an invalid event; "
            "proceed: store its valid events.",
        ),
    ] = BehaviourChoice.ROLLBACK,
) -> None:
    """Capture EPCIS documents into the event store."""
    location = resolve_db(db)
    rejected = 0
    try:
        with (
            Repository.open(location) as repo,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as progress,
        ):
            for path in files:
                task = progress.add_task(path.name, total=None, rate="")
                started = time.perf_counter()

                def advance(read: int, task: TaskID = task, started: float = started) -> None:
                    elapsed = time.perf_counter() - started
                    rate = f"{read / elapsed:,.0f} events/s" if elapsed > 0 else ""
                    progress.update(task, completed=read, rate=rate)

                result = repo.capture(path, behaviour=behaviour.value, progress=advance)
                progress.remove_task(task)
                _report(path, result, time.perf_counter() - started)
                rejected += len(result.rejected)
    except (MedtraceError, SQLAlchemyError) as error:
        err.print(f"error: {error}")
        raise typer.Exit(EXIT_FAILURE) from error
    if rejected:
        raise typer.Exit(EXIT_REJECTED)


def register(parent: typer.Typer) -> None:
    """Add the ``capture`` command to the root application."""
    parent.command("capture")(capture_command)
