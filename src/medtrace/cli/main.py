"""The ``medtrace`` command: one Typer application assembled from command groups.

Each group lives in its own module (``medtrace.cli.gs1``, ``medtrace.cli.epcis``, ...) and is added
here, in one place. Exit codes: 0 success, 1 operational failure, 2 invalid input.
"""

from __future__ import annotations

from typing import Annotated

import typer

from medtrace import __version__

app = typer.Typer(
    name="medtrace",
    help="Track and trace for medicines and medical devices: GS1 identifiers, EPCIS events, DSCSA.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"medtrace {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Track and trace for medicines and medical devices."""


def _register_groups() -> None:
    """Add every command group, in one place."""
    from medtrace.cli import (  # noqa: PLC0415 - groups register on the root app
        capture,
        db,
        demo,
        epcis,
        events,
        gs1,
        org,
        serve,
        sim,
    )

    gs1.register(app)
    epcis.register(app)
    capture.register(app)
    events.register(app)
    db.register(app)
    sim.register(app)
    serve.register(app)
    org.register(app)
    demo.register(app)


_register_groups()


def main() -> None:
    """Console-script entry point."""
    app()
