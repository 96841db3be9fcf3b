"""``medtrace serve``: run the HTTP service (EPCIS 2.0 REST binding, DSCSA VRS) under uvicorn.

On the first start of a database it creates a local admin organization and prints its API key
once (keep it: only a hash is stored). It never starts open: binding a non-loopback address
(``--host 0.0.0.0``) is refused while the database has no organization, so that the first key
is created locally. ``--workers N`` runs N processes (uvicorn's ``workers`` with the
:func:`medtrace.api.app.app_factory` factory); they share the database and the capture spool.
With more than one worker, capture jobs run in the supervising process instead of the workers
(``MEDTRACE_CAPTURE_WORKER=0`` for them): a long capture then never competes for the
interpreter lock of a process that answers requests (verification, queries).

Exit codes: 0 stopped normally, 1 the database could not be used or a ``MEDTRACE_*`` setting
is malformed, 2 refused (open start).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Annotated, Final

import sqlalchemy as sa
import typer
import uvicorn
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from medtrace.api.app import create_app, freeze_heap
from medtrace.api.capture_worker import CaptureWorker, Spool
from medtrace.api.settings import ENV_VARS, ApiSettings, SettingsError
from medtrace.errors import MedtraceError
from medtrace.store import schema
from medtrace.store.engine import ENV_VAR, resolve_db
from medtrace.store.repository import Repository
from medtrace.store.tenancy import ensure_local_admin

__all__ = ["ServePlan", "is_loopback", "prepare", "register"]

EXIT_FAILURE = 1
EXIT_REFUSED = 2

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class OpenStartRefusedError(MedtraceError):
    """A non-loopback bind on a database without any organization (the service would be open)."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0")]
    [True, True, True, False]
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ServePlan:
    """What ``serve`` will run: the settings, the URL, and the first start's admin key."""

    settings: ApiSettings
    url: str
    admin_token: str | None


def _has_organization(repo: Repository) -> bool:
    with repo.engine.connect() as conn:
        return conn.execute(sa.select(schema.organization.c.id).limit(1)).first() is not None


def prepare(db: str | None, host: str, port: int) -> ServePlan:
    """Open (and on SQLite create) the database, refuse an open start, ensure the local admin.

    Raises :class:`OpenStartRefusedError` for a non-loopback ``host`` on a database without
    organizations, :class:`~medtrace.api.settings.SettingsError` for a malformed ``MEDTRACE_*``
    variable (the message names the variable and its value).
    """
    settings = ApiSettings.from_env()  # a bad MEDTRACE_* value fails before anything is opened
    location = resolve_db(db)
    with Repository.open(location) as repo:
        if not is_loopback(host) and not _has_organization(repo):
            raise OpenStartRefusedError(
                f"refusing to listen on {host}: the database has no organization or API key "
                "yet, so the service would start without an administrator. Start once on "
                "127.0.0.1 (it prints the admin key) or run 'medtrace key create' first."
            )
        token = ensure_local_admin(repo.engine)
    shown = f"[{host}]" if ":" in host else host
    return ServePlan(
        settings=settings.with_db(location),
        url=f"http://{shown}:{port}/",
        admin_token=token,
    )


def serve(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (sqlite:///FILE, a file path, postgresql://...). "
            "Default: $MEDTRACE_DB, else ./medtrace.sqlite.",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log one line per request (uvicorn's access log). Every verification is in "
            "the audit log either way; a busy responder saves ~0.1 ms of CPU per request "
            "without it.",
        ),
    ] = True,
) -> None:
    """Serve the EPCIS 2.0 REST API (capture, queries), VRS and API docs at /docs."""
    try:
        plan = prepare(db, host, port)
    except OpenStartRefusedError as error:
        err.print(f"error: {error}")
        raise typer.Exit(EXIT_REFUSED) from error
    except (MedtraceError, SQLAlchemyError, SettingsError) as error:
        err.print(f"error: {error}")
        raise typer.Exit(EXIT_FAILURE) from error
    out.print(f"medtrace serving {plan.settings.database} at {plan.url} (docs: {plan.url}docs)")
    if plan.admin_token is not None:
        out.print("First start: created the local admin organization. Its API key (shown once):")
        out.print(f"  {plan.admin_token}")
        out.print(f"Use it as: curl -H 'Authorization: Bearer {plan.admin_token}' {plan.url}")
    if workers == 1:
        app = create_app(plan.settings)
        freeze_heap()
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            access_log=access_log,
        )
        return
    os.environ[ENV_VAR] = plan.settings.database
    with ExitStack() as stack:
        if plan.settings.capture_worker:
            stack.enter_context(_supervisor_capture_worker(plan.settings))
            os.environ[ENV_VARS["capture_worker"]] = "0"
        uvicorn.run(
            "medtrace.api.app:app_factory",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            log_level="info",
            access_log=access_log,
        )


#: Seconds a worker process may take to answer uvicorn's health check before the supervisor
#: kills and replaces it (uvicorn's default: 5). A new worker answers only once it has
#: re-imported the command line's modules (``spawn``: ~1.5 s on an idle 2-core machine). With
#: two mixed_load benchmark runs overlapping on 2 cores (capture and verification of both),
#: uvicorn killed a worker it had just started before that worker answered. A worker that hangs
#: for this long is still replaced.
WORKER_HEALTHCHECK_SECONDS: Final = 30

#: How often the supervisor's capture worker looks for spooled jobs (workers cannot wake it).
SUPERVISOR_POLL_SECONDS: Final = 0.2


@contextmanager
def _supervisor_capture_worker(settings: ApiSettings) -> Iterator[None]:
    """Run the capture worker in this process while the block runs; finish its job on exit."""
    with Repository.open(settings.database) as repo:
        spool = Spool(settings.effective_spool_dir())
        spool.prepare()
        worker = CaptureWorker(
            repo.engine,
            spool,
            poll_seconds=SUPERVISOR_POLL_SECONDS,
            threads=settings.effective_capture_threads(),
        )
        worker.start()
        try:
            yield
        finally:
            worker.stop()


def register(app: typer.Typer) -> None:
    """Add ``medtrace serve`` to the root command."""
    app.command("serve")(serve)
