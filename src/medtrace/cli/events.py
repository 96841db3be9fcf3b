"""``medtrace events`` / ``item`` / ``trace``: read the event store.

* ``events`` runs an EPCIS 2.0 SimpleEventQuery (EPCIS 2.0 §8.2.7.1; parameters as in the REST
  binding, ``--param EQ_bizStep=shipping``) and prints an ``EPCISQueryDocument`` in JSON-LD
  (EPCIS 2.0 §10) or XML (EPCIS 2.0 §9);
* ``item`` prints the projected state of one item (identifier in any GS1 form);
* ``trace`` prints its chain of custody as a timeline, container events included.

Thin by design (docs/architecture.md): parse, call :class:`~medtrace.store.repository.Repository`,
print. The database is ``--db`` or ``$MEDTRACE_DB``, else ``./medtrace.sqlite``. Exit codes: 0
done, 1 the database could not be used or the item is unknown, 2 invalid input (a query
parameter, a page token or an identifier; the message names it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, NoReturn

import msgspec
import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from medtrace.epcis.errors import QueryParameterError
from medtrace.epcis.jsonld_writer import write_jsonld
from medtrace.epcis.model import EPCISDocument
from medtrace.epcis.query import parse_query
from medtrace.epcis.vocab import VocabKind, to_bare
from medtrace.epcis.xml_writer import write_xml
from medtrace.errors import MedtraceError
from medtrace.gs1.convert import parse_any, to_digital_link
from medtrace.gs1.errors import Gs1Error
from medtrace.store.codec import canonical_epc, from_micros
from medtrace.store.custody import CustodyStep
from medtrace.store.engine import resolve_db
from medtrace.store.query_sql import QueryTooLargeError
from medtrace.store.repository import Repository

__all__ = ["normalize_epc", "register"]

EXIT_FAILURE = 1
EXIT_INVALID = 2

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class OutputFormat(enum.StrEnum):
    """Syntaxes ``medtrace events`` writes."""

    JSONLD = "jsonld"
    XML = "xml"


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///FILE, a file path, postgresql://...). "
        "Default: $MEDTRACE_DB, else ./medtrace.sqlite.",
        show_default=False,
    ),
]
EpcArgument = Annotated[
    str,
    typer.Argument(
        help="The item: EPC URN, GS1 Digital Link URI or element string ((01)...(21)...)."
    ),
]


def _exit(message: str, code: int) -> NoReturn:
    err.print(message)
    raise typer.Exit(code)


@contextmanager
def _repository(db: str | None) -> Iterator[Repository]:
    """The store at ``db``; operational failures exit 1, invalid input exits 2."""
    try:
        repo = Repository.open(resolve_db(db))
    except (MedtraceError, SQLAlchemyError) as error:
        _exit(f"error: {error}", EXIT_FAILURE)
    try:
        with repo:
            yield repo
    except QueryParameterError as error:
        _exit(f"invalid: {error}", EXIT_INVALID)
    except SQLAlchemyError as error:
        _exit(f"error: {error}", EXIT_FAILURE)


def normalize_epc(text: str) -> str:
    """The store key of an identifier in any form: URNs and Digital Link URIs as
    :func:`~medtrace.store.codec.canonical_epc` reads them, element strings through their
    Digital Link form (:func:`medtrace.gs1.convert.to_digital_link`).

    >>> normalize_epc("(01)10614141073464(21)2017")
    'https://id.gs1.org/01/10614141073464/21/2017'
    """
    stripped = text.strip()
    if stripped.startswith(("urn:", "http://", "https://")):
        return canonical_epc(stripped)
    return canonical_epc(to_digital_link(parse_any(stripped)))


def _epc_or_exit(text: str) -> str:
    try:
        return normalize_epc(text)
    except Gs1Error as error:
        _exit(f"invalid: {text!r} is not a GS1 identifier: {error}", EXIT_INVALID)


def _split_params(params: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for param in params:
        name, sep, value = param.partition("=")
        if not sep or not name:
            _exit(f"invalid: --param {param!r}: expected NAME=VALUE", EXIT_INVALID)
        pairs.append((name, value))
    return pairs


def events_command(
    db: DbOption = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A query parameter NAME=VALUE (EPCIS 2.0 §8.2.7.1), e.g. EQ_bizStep=shipping "
            "or MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*; repeat for more.",
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output syntax.")
    ] = OutputFormat.JSONLD,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help="At most N events (one page); prints the next page's token on stderr.",
        ),
    ] = None,
    page_token: Annotated[
        str | None, typer.Option("--page-token", help="Continue after a previous --limit page.")
    ] = None,
) -> None:
    """Query events and print them as an EPCISQueryDocument."""
    try:
        query = parse_query(_split_params(param or []))
    except QueryParameterError as error:
        _exit(f"invalid: {error}", EXIT_INVALID)
    with _repository(db) as repo:
        try:
            page = repo.query(query, page_token=page_token, per_page=limit)
        except QueryTooLargeError as error:
            _exit(f"error: {error.exception_type}: {error}", EXIT_FAILURE)
    document = EPCISDocument(
        schema_version="2.0",
        creation_date=datetime.now(UTC),
        events=tuple(page.events),
        kind="query",
        query_name="SimpleEventQuery",
    )
    body = write_xml(document) if output is OutputFormat.XML else write_jsonld(document)
    typer.echo(body.decode("utf-8").rstrip("\n"))
    if page.next_page_token is not None:
        err.print(f"more events: --page-token {page.next_page_token}")


def _short(kind: VocabKind, value: str | None) -> str:
    return "" if value is None else to_bare(kind, value)


def _time(micros: int | None) -> str | None:
    return None if micros is None else from_micros(micros).isoformat().replace("+00:00", "Z")


def item_command(
    epc: EpcArgument,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the current state of one item (status, disposition, custodian, location)."""
    uri = _epc_or_exit(epc)
    with _repository(db) as repo:
        state = repo.item(uri)
        contents = repo.children(uri) if state is not None else []
    if state is None:
        _exit(f"unknown item: no event in the store names {uri}", EXIT_FAILURE)
    fields = msgspec.to_builtins(state)
    fields["last_event_time"] = _time(state.last_event_time)
    fields["children"] = contents
    if as_json:
        typer.echo(orjson.dumps(fields, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=uri, show_header=False, title_justify="left")
    table.add_column("field", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    for name in ("kind", "gtin", "serial", "lot", "expiry", "status", "custodian", "location"):
        table.add_row(name, str(fields[name] or ""))
    table.add_row("disposition", _short("disposition", state.disposition))
    table.add_row("last event", str(fields["last_event_time"]))
    table.add_row("children", "\n".join(contents))
    out.print(table)


def _step_text(step: CustodyStep) -> Text:
    """One timeline entry: a headline, then the container, custody and transactions."""
    what = f"{step.event_type.removesuffix('Event')} {step.action or ''}".strip()
    why = " / ".join(
        part
        for part in (_short("bizStep", step.biz_step), _short("disposition", step.disposition))
        if part
    )
    text = Text()
    text.append(step.event_time.isoformat().replace("+00:00", "Z"), style="bold")
    text.append(f"  {what}", style="cyan")
    if why:
        text.append(f"  {why}", style="green")
    if step.via:
        text.append(f"\n    via container {step.via}", style="magenta")
    text.append(f"\n    custodian {step.custodian or '-'}  location {step.location or '-'}")
    if step.read_point:
        text.append(f"\n    read at {step.read_point}")
    if step.biz_transactions:
        joined = ", ".join(bt.value for bt in step.biz_transactions)
        text.append(f"\n    transactions {joined}")
    return text


def trace_command(epc: EpcArgument, db: DbOption = None) -> None:
    """Print the chain of custody of an item, with the events of its containers."""
    uri = _epc_or_exit(epc)
    with _repository(db) as repo:
        steps = repo.history(uri)
    if not steps:
        _exit(f"unknown item: no event in the store names {uri}", EXIT_FAILURE)
    out.print(Text(f"chain of custody of {uri} ({len(steps)} events)", style="bold underline"))
    for step in steps:
        out.print(_step_text(step))


def register(app: typer.Typer) -> None:
    """Add ``events``, ``item`` and ``trace`` to the root application."""
    app.command("events")(events_command)
    app.command("item")(item_command)
    app.command("trace")(trace_command)
