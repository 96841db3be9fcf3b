"""The ``Repository`` façade: one object over the store for the CLI, the HTTP layer and tests.

It owns the engine and delegates: capture to :mod:`medtrace.store.capture` (EPCIS 2.0 §8.2.6),
queries to :mod:`medtrace.store.query_sql` (EPCIS 2.0 §8.2.7 SimpleEventQuery), histories and
containment to :mod:`medtrace.store.custody`, item state to :mod:`medtrace.store.projection`,
master data (EPCIS 2.0 §7.2) to :mod:`medtrace.store.masterdata`, capture jobs to
:mod:`medtrace.store.jobs`.

>>> with Repository.open("sqlite://") as repo:
...     repo.master_data_get("urn:epcglobal:epcis:vtype:EPCClass", "urn:epc:class:lgtin:1.2.3")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from medtrace.epcis.model import Event, Vocabulary, VocabularyElement
from medtrace.epcis.query_model import EventQuery
from medtrace.epcis.validate import Syntax
from medtrace.store import (
    custody,
    jobs,
    masterdata,
    migrations,
    projection,
    query_prepared,
    query_sql,
    schema,
    visibility,
)
from medtrace.store.capture import CaptureResult, CaptureSource, capture
from medtrace.store.codec import canonical_epc, decode_event
from medtrace.store.engine import (
    StoreConfigError,
    create_store_engine,
    normalize_url,
    read_connection,
    write_transaction,
)
from medtrace.store.jobs import CaptureJob
from medtrace.store.principal import Principal

__all__ = ["Repository", "StoreNotInitializedError"]


class StoreNotInitializedError(StoreConfigError):
    """The database has no medtrace schema (or an older one): run ``medtrace db init``."""


def _check_revision(engine: Engine) -> None:
    current = migrations.current_revision(engine)
    head = migrations.head_revision()
    if current != head:
        raise StoreNotInitializedError(
            f"database {engine.url.render_as_string(hide_password=True)!r} is at schema "
            f"revision {current!r}, expected {head!r}: run 'medtrace db init' "
            "(or 'medtrace db migrate')"
        )


class Repository:
    """The event store (see the module docstring). Open with :meth:`open`; close when done."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, location: str | Path, *, create: bool | None = None) -> Self:
        """Open the store at ``location`` (URL or SQLite file path, see ``store.engine``).

        ``create`` migrates the schema to the newest revision first; by default it does so
        for SQLite (a file is created on first use) and not for PostgreSQL, where
        ``medtrace db init`` is the deliberate step. An unmigrated database is refused with
        :class:`StoreNotInitializedError`.
        """
        engine = create_store_engine(location)
        try:
            if create is None:
                create = normalize_url(location).drivername == "sqlite"
            if create:
                migrations.upgrade(engine)
            else:
                _check_revision(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (owned by the repository)."""
        return self._engine

    def close(self) -> None:
        """Release every database connection."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ events

    def capture(
        self,
        source: CaptureSource,
        *,
        behaviour: jobs.Behaviour = "rollback",
        syntax: Syntax | None = None,
        progress: Callable[[int], None] | None = None,
        principal: Principal | None = None,
    ) -> CaptureResult:
        """Capture one EPCIS document (see :func:`medtrace.store.capture.capture`).

        ``principal`` is the organization capturing (recorded in ``capture_job.org_id``);
        ``None`` is the installation itself.
        """
        return capture(
            self._engine,
            source,
            behaviour=behaviour,
            syntax=syntax,
            progress=progress,
            org_id=None if principal is None else principal.org_id,
        )

    def query(
        self,
        query: EventQuery,
        page_token: str | None = None,
        per_page: int | None = None,
        *,
        principal: Principal | None = None,
    ) -> query_sql.QueryPage:
        """Run an EPCIS event query; one page of events and the next page's token.

        With a ``principal`` only the events it may see (:mod:`medtrace.store.visibility`).
        "Every event of these identifiers" runs as prepared SQL
        (:mod:`medtrace.store.query_prepared`), every other query through the general builder.
        """
        matched = query_prepared.match_keys(query)
        with read_connection(self._engine) as conn:
            if matched is not None and conn.dialect.name in query_prepared.DIALECTS:
                field, keys = matched
                return query_prepared.run_match_query(
                    conn,
                    query,
                    keys,
                    field,
                    page_token=page_token,
                    per_page=per_page,
                    principal=principal,
                )
            return query_sql.run_query(
                conn, query, page_token=page_token, per_page=per_page, principal=principal
            )

    def event(self, event_id: str, *, principal: Principal | None = None) -> Event | None:
        """The stored event with ``event_id`` (given eventID or hash), as stored.

        ``None`` also when ``principal`` may not see it (existence is not leaked).
        """
        table = schema.event
        with read_connection(self._engine) as conn:
            select = sa.select(table.c.body).where(table.c.event_id == event_id)
            visible = visibility.visible_condition(principal, conn.dialect.name)
            if visible is not None:
                select = select.where(visible)
            body = conn.execute(select).scalar()
        return None if body is None else decode_event(bytes(body))

    def event_count(self) -> int:
        """How many events the store holds."""
        with read_connection(self._engine) as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(schema.event)).scalar_one()
            )

    # ------------------------------------------------------------------ items

    def item(self, epc: str, *, principal: Principal | None = None) -> projection.ItemState | None:
        """The projected state of one item (any identifier form), or ``None`` if unknown.

        With a ``principal``: ``None`` unless it sees at least one event of the item's chain;
        custodian, location and parent withheld unless the item is its own or was in its
        custody (:mod:`medtrace.store.visibility`).
        """
        with read_connection(self._engine) as conn:
            state = projection.get_item(conn, canonical_epc(epc))
            if state is None or principal is None:
                return state
            steps = custody.history(conn, state.uri)
            return visibility.restrict_item(conn, principal, state, steps)

    def history(self, epc: str, *, principal: Principal | None = None) -> list[custody.CustodyStep]:
        """The chain of custody of an item: its events and its containers' events, in order.

        With a ``principal``: the whole chain for its own products and items in its custody,
        else only the steps it may see (:mod:`medtrace.store.visibility`).
        """
        with read_connection(self._engine) as conn:
            steps = custody.history(conn, epc)
            if principal is None:
                return steps
            return visibility.restrict_history(conn, principal, canonical_epc(epc), steps)

    def children(self, epc: str, *, principal: Principal | None = None) -> list[str]:
        """The identifiers currently aggregated under container ``epc`` (canonical form).

        With a ``principal``: empty unless it sees the container; only the children it sees.
        """
        with read_connection(self._engine) as conn:
            found = custody.children(conn, epc)
            if principal is None or principal.sees_everything or not found:
                return found
            uri = canonical_epc(epc)
            if not visibility.restrict_history(conn, principal, uri, custody.history(conn, uri)):
                return []
            ids = dict(
                conn.execute(
                    sa.select(schema.epc.c.uri, schema.epc.c.id).where(schema.epc.c.uri.in_(found))
                ).all()
            )
            seen = visibility.visible_epc_ids(conn, principal, list(ids.values()))
            return [
                child
                for child in found
                if ids.get(child) in seen or visibility.owns_identifier(principal, child)
            ]

    def rebuild_state(self) -> int:
        """Rebuild the item-state projection from the event log; return the items written."""
        with write_transaction(self._engine) as conn:
            return projection.rebuild(conn)

    # ------------------------------------------------------------------ master data

    def master_data_get(self, vtype: str, element_id: str) -> VocabularyElement | None:
        """One vocabulary element (EPCIS 2.0 §7.2), or ``None``."""
        with read_connection(self._engine) as conn:
            return masterdata.get_element(conn, vtype, element_id)

    def master_data_put(self, vocabularies: Vocabulary | Iterable[Vocabulary]) -> int:
        """Store or update vocabularies; return how many elements were written."""
        batch = (vocabularies,) if isinstance(vocabularies, Vocabulary) else tuple(vocabularies)
        with write_transaction(self._engine) as conn:
            return masterdata.put_vocabularies(conn, batch)

    # ------------------------------------------------------------------ jobs

    def job(self, job_id: str) -> CaptureJob | None:
        """The capture job ``job_id``, or ``None``."""
        with read_connection(self._engine) as conn:
            return jobs.get_job(conn, job_id)

    def jobs(self, *, limit: int = 100) -> list[CaptureJob]:
        """The newest capture jobs, newest first."""
        with read_connection(self._engine) as conn:
            return jobs.list_jobs(conn, limit=limit)
