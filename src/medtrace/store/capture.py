"""The capture pipeline: the only write path for events (EPCIS 2.0 §8.2.6 capture interface).

read (XML or JSON-LD, streaming) → validate (:mod:`medtrace.epcis.validate`) → hash
(CBV 2.0 §8.9) → assign ``eventID`` (the given one, else the hash) and a server
``recordTime`` (one per capture, EPCIS 2.0 §7.4.1) → write, in ONE transaction, in batches:
identifier keys (the new ones inserted into ``epc``), events with their ``seq``, the index
rows, the master data of the header, the item-state projection (``store.projection.apply``),
and the end of the capture job (started, visible, in a short transaction before; see
:mod:`medtrace.store.jobs`).

Error behaviour (EPCIS 2.0 REST ``GS1-Capture-Error-Behaviour``): ``rollback`` (default) keeps
nothing of a document with any invalid event; ``proceed`` stores the valid events and reports
the invalid ones. A document that cannot be read to its end is refused as a whole either way.

Idempotence: an event whose hash or given eventID is already stored (or appeared earlier in the
same document) is not stored again and is counted as a duplicate. An event carrying an
``errorDeclaration`` (EPCIS 2.0 §7.4.1.2) whose erroneous event is stored is applied to it:
the stored event gets the declaration (error columns, body, corrective event ids).

Ordering and concurrency: every capture reads, validates and hashes its first batch (a whole
document of up to :data:`BATCH_SIZE` events) before its write transaction begins, so a
document refused at once takes no lock, and on SQLite the writer's lock is held only while
writing. ``seq`` grows in commit order. SQLite has a single writer (the capture transaction
begins ``IMMEDIATE``), so ``max(seq) + 1`` is safe. PostgreSQL captures
take a transaction-scoped advisory lock before their first write (after reading their first
batch, see :meth:`_Writer.begin`) and reserve ``seq`` values from the sequence under it, so a
consumer reading by ``seq`` never sees a gap fill in later; the same lock makes the writer the
only one adding ``epc`` keys, so it chooses their ids itself (SQLite ``max(id) + 1``,
PostgreSQL the ``epc`` sequence) instead of reading them back. ``recordTime`` is read under the
lock, so it grows in commit order too.
Bulk writes use multi-row ``INSERT`` statements on SQLite (:func:`.dbapi.sqlite_insert`) and
``COPY`` on PostgreSQL (binary where the columns allow it, :func:`.dbapi.pg_copy`). Memory is
bounded by the batch size (and a bounded identifier-key cache, and on SQLite a page cache of
32 MB for the capture transaction), whatever the document size.
"""

from __future__ import annotations

import gc
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from io import SEEK_END, BytesIO
from itertools import chain, repeat
from pathlib import Path
from typing import IO, Any, Final

import ijson  # type: ignore[import-untyped]
import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from medtrace.epcis.errors import DocumentTooLargeError, EpcisDocumentError, UnsafeDocumentError
from medtrace.epcis.hashing import event_hash
from medtrace.epcis.jsonld_reader import iter_jsonld_events, read_jsonld, read_jsonld_event
from medtrace.epcis.model import DocumentKind, EPCISDocument, Event, Vocabulary
from medtrace.epcis.validate import Problem, Syntax, has_errors, iter_validated
from medtrace.epcis.xml_reader import iter_xml_events
from medtrace.store import dbapi, jobs, maintenance, masterdata, projection, schema
from medtrace.store.codec import (
    CapturedEvent,
    IndexedEvent,
    decode_event,
    encode_event,
    index_event,
    to_micros,
)
from medtrace.store.engine import is_sqlite, write_transaction
from medtrace.store.prefetch import prefetched

__all__ = ["BATCH_SIZE", "CaptureResult", "CaptureSource", "capture"]

CaptureSource = bytes | Path | IO[bytes] | EPCISDocument
"""What can be captured: document bytes, a file, a binary file object, or a parsed document."""

#: Events written per batch (one round of upserts, inserts and projection).
BATCH_SIZE: Final = 2000
#: Identifier keys cached per capture before the cache is dropped (bounds memory).
_KEY_CACHE_LIMIT: Final = 200_000
#: SQLite page cache of the capture transaction, KiB (``PRAGMA cache_size`` negative = KiB): a
#: batch dirties more pages of ``epc``, ``event``, ``event_epc`` and ``item_state`` and their
#: indexes than the default 2 MB hold, and every page spilled to the WAL mid-transaction is read
#: back from it. The connection's own size is restored when the capture ends.
_SQLITE_CACHE_KIB: Final = 32 * 1024
#: PostgreSQL advisory lock serialising capture writers ("medt" in ASCII).
_PG_CAPTURE_LOCK: Final = 0x6D656474
_IJSON: Final[Any] = ijson
#: JSON-LD documents up to this size have their top level read in one pass in C (msgspec, each
#: member kept as raw JSON, ``epcisBody`` skipped over) instead of a token-by-token streaming
#: pass in Python; larger ones keep the streaming pass and bounded memory.
_HEAD_IN_ONE_READ: Final = 8 * 1024 * 1024
_TOP_LEVEL: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])
#: Member values as ijson gives them (``use_float=False``): non-integral numbers as ``Decimal``.
_MEMBER: Final = msgspec.json.Decoder(float_hook=Decimal)
#: Characters that PostgreSQL's COPY text format gives a meaning (escape, column and row ends).
_COPY_SPECIAL: Final = ("\\", "\t", "\n", "\r")
#: Allocations between young garbage collections while a capture runs (Python's default 700).
_GC_YOUNG: Final = 50_000
_JSONLD_EVENT_TYPES: Final = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    }
)


class CaptureResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of capturing one document.

    ``event_ids`` are the ids of the newly stored events (document order), ``duplicate_ids``
    those of events already stored, ``declared_ids`` those of stored events an
    ``errorDeclaration`` was applied to; ``rejected`` holds the error problems (nothing was
    stored when ``behaviour`` was ``rollback`` and ``rejected`` is not empty).
    """

    captured: int
    duplicates: int
    rejected: tuple[Problem, ...]
    event_ids: tuple[str, ...]
    job_id: str
    duplicate_ids: tuple[str, ...] = ()
    declared_ids: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether nothing was rejected."""
        return not self.rejected


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Opened:
    syntax: Syntax
    kind: DocumentKind
    schema_version: str
    events: Iterator[Event]
    master_data: Callable[[], tuple[Vocabulary, ...]]


def _sniff(head: bytes) -> Syntax:
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if text == b"<":
        return "xml"
    if text in (b"{", b"["):
        return "jsonld"
    raise EpcisDocumentError(
        f"neither XML nor JSON: expected '<' or '{{' as first character, got {text!r}"
    )


def _jsonld_head(source: IO[bytes]) -> dict[str, Any]:
    """The top-level members of a JSON-LD document except ``epcisBody``, from the current
    position of the seekable ``source``: read whole when it is small, else in one streaming
    pass (:func:`_streamed_head`)."""
    start = source.tell()
    size = source.seek(0, SEEK_END) - start
    source.seek(start)
    if size <= _HEAD_IN_ONE_READ:
        data = source.read()
        try:
            top = _TOP_LEVEL.decode(data)
        except msgspec.DecodeError:
            pass  # not a JSON object: the streaming pass says what is wrong, as it always did
        else:
            return {key: _MEMBER.decode(raw) for key, raw in top.items() if key != "epcisBody"}
        source.seek(start)
    return _streamed_head(source)


def _streamed_head(source: IO[bytes]) -> dict[str, Any]:
    """:func:`_jsonld_head` in one streaming pass over every token (bounded memory)."""
    head: dict[str, Any] = {}
    builder: Any = None
    key = ""
    depth = 0
    started = False
    try:
        for prefix, event, value in _IJSON.parse(source, use_float=False):
            if depth == 0:
                if not started:  # the document's own opening
                    started = True
                    continue
                # between members: a key, the document's end, or a member's value (whose
                # prefix is its key: "" too for the key "")
                if prefix == "" and event in ("map_key", "end_map", "end_array"):
                    if event == "map_key":
                        key = value
                    continue
            if key == "epcisBody":
                continue
            if builder is None:
                builder = _IJSON.ObjectBuilder()
            builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
            if depth == 0:
                head[key] = builder.value
                builder = None
    except _IJSON.JSONError as exc:
        raise EpcisDocumentError(f"not well-formed JSON: {exc}") from None
    return head


def _open_jsonld(source: IO[bytes]) -> _Opened:
    head = _jsonld_head(source)
    kind_name = head.get("type")
    source.seek(0)
    if kind_name in _JSONLD_EVENT_TYPES:
        event = read_jsonld_event(source.read())
        return _Opened("jsonld", "document", "2.0", iter((event,)), tuple)
    if kind_name == "EPCISDocument":
        shell = read_jsonld(msgspec.json.encode({**head, "epcisBody": {"eventList": []}}))
        vocabularies = shell.header.master_data if shell.header else ()
        events = iter_jsonld_events(source)
        return _Opened("jsonld", "document", shell.schema_version, events, lambda: vocabularies)
    if kind_name == "EPCISQueryDocument":
        events = iter_jsonld_events(source)
        return _Opened("jsonld", "query", str(head.get("schemaVersion", "2.0")), events, tuple)
    raise EpcisDocumentError(
        f"expected type EPCISDocument, EPCISQueryDocument or an event type, got {kind_name!r}",
        location="/type",
    )


def _open_xml(stack: ExitStack, source: bytes | Path | IO[bytes]) -> _Opened:
    stream = iter_xml_events(source)
    events = (event for _index, event in stream.events)
    stack.callback(events.close)

    def master_data() -> tuple[Vocabulary, ...]:
        header = stream.header.master_data if stream.header else ()
        return header + stream.vocabularies

    return _Opened("xml", stream.kind, stream.schema_version, events, master_data)


def _open(stack: ExitStack, source: CaptureSource, syntax: Syntax | None) -> _Opened:
    """Open ``source`` for streaming; files opened here are closed by ``stack``."""
    if isinstance(source, EPCISDocument):
        vocabularies = (source.header.master_data if source.header else ()) + source.vocabularies
        return _Opened(
            syntax or "jsonld",
            source.kind,
            source.schema_version,
            iter(source.events),
            lambda: vocabularies,
        )
    stream: IO[bytes]
    if isinstance(source, bytes):
        stream = BytesIO(source)
    elif isinstance(source, Path):
        try:
            stream = stack.enter_context(source.open("rb"))
        except OSError as exc:
            raise EpcisDocumentError(f"cannot read {str(source)!r}: {exc.strerror}") from None
    elif source.seekable():
        stream = source
    else:
        stream = BytesIO(source.read())
    if syntax is None:
        start = stream.tell()
        syntax = _sniff(stream.read(4096))
        stream.seek(start)
    if syntax == "xml":
        return _open_xml(stack, stream)
    return _open_jsonld(stream)


def _reader_problem(exc: EpcisDocumentError, index: int | None) -> Problem:
    if isinstance(exc, UnsafeDocumentError):
        rule = "document.unsafe"
    elif isinstance(exc, DocumentTooLargeError):
        rule = "document.too-large"
    else:
        rule = "document.invalid"
    return Problem(
        event_index=index,
        location=exc.location or "/",
        value=None,
        message=exc.reason,
        severity="error",
        rule=rule,
    )


# --------------------------------------------------------------------------- writing


class _Rollback(Exception):  # noqa: N818 - control flow, never escapes this module
    """Raised inside the capture transaction to undo it (rollback behaviour)."""


_PROCESSORS: dict[tuple[str, str], list[Callable[[Any], Any] | None]] = {}


def _bind_processors(table: sa.Table, dialect: sa.Dialect) -> list[Callable[[Any], Any] | None]:
    """The bind processor of each column of ``table`` (None where values pass as they are)."""
    key = (table.name, dialect.name)
    found = _PROCESSORS.get(key)
    if found is None:
        found = [
            column.type.dialect_impl(dialect).bind_processor(dialect) for column in table.columns
        ]
        _PROCESSORS[key] = found
    return found


def _converted(
    rows: list[tuple[object, ...]], converted: list[tuple[int, Callable[[Any], Any]]]
) -> list[tuple[object, ...]]:
    """``rows`` with the bind processors applied to their non-null values at their positions."""
    if len(converted) == 1:
        # one converted column (event_epc.quantity): most rows have no value there
        [(index, process)] = converted
        return [
            row if row[index] is None else (*row[:index], process(row[index]), *row[index + 1 :])
            for row in rows
        ]
    out: list[tuple[object, ...]] = []
    for row in rows:
        values: list[object] | None = None
        for index, process in converted:
            value = row[index]
            if value is not None:
                if values is None:
                    values = list(row)
                values[index] = process(value)
        out.append(row if values is None else tuple(values))
    return out


#: ``event_epc`` values per row and its columns (the column order of schema.py).
_EPC_WIDTH: Final = len(schema.event_epc.columns)
_EPC_COLUMNS: Final = ", ".join(column.name for column in schema.event_epc.columns)
#: ``event_epc``'s ``INSERT`` head (SQLite) and ``COPY`` statement (PostgreSQL).
_EPC_INSERT: Final = f"INSERT INTO event_epc ({_EPC_COLUMNS})"
_EPC_COPY: Final = f"COPY event_epc ({_EPC_COLUMNS}) FROM STDIN"
_STORED: Final = "SELECT seq, event_id, event_hash, error_declared FROM event WHERE "
_STORED_BY_ID: Final = _STORED + "event_id {in}"
_STORED_BY_HASH: Final = _STORED + "event_hash {in}"
_INDEX_TABLES: Final = (
    "event",
    "event_epc",
    "event_biz_transaction",
    "event_source_dest",
    "event_field",
    "event_sensor",
    "event_correction",
    "event_persistent_disposition",
)
#: Columns of ``event`` and ``event_sensor`` after ``seq`` (the order of their tuples).
_EVENT_COLUMNS: Final = tuple(column.name for column in schema.event.columns)[1:]
_SENSOR_COLUMNS: Final = tuple(column.name for column in schema.event_sensor.columns)[1:]


def _other_rows(seq: int, item: IndexedEvent, tables: dict[str, list[tuple[object, ...]]]) -> None:
    """Add the event's rows of the index tables other than ``event_epc`` to ``tables``.

    Most events have rows in few of them, if any: a table without rows costs one test here.
    """
    if item.biz_transactions:
        tables["event_biz_transaction"] += [
            (seq, kind, value) for kind, value in item.biz_transactions
        ]
    if item.source_dest:
        tables["event_source_dest"] += [
            (seq, kind, typ, value) for kind, typ, value in item.source_dest
        ]
    if item.fields:
        tables["event_field"] += [(seq, *field) for field in item.fields]
    if item.sensors:
        tables["event_sensor"] += [
            (seq, *[sensor.get(name) for name in _SENSOR_COLUMNS]) for sensor in item.sensors
        ]
    if item.corrections:
        tables["event_correction"] += [(seq, ident) for ident in item.corrections]
    if item.persistent:
        tables["event_persistent_disposition"] += [
            (seq, op, value) for op, value in item.persistent
        ]


def _copy_block(ids: list[int], seq: int, role: int) -> str:
    """The ``event_epc`` rows of one instance list of an event as PostgreSQL COPY text
    (PostgreSQL §COPY, text format: tab-separated, ``\\N`` for NULL, one row per line): the
    rows share everything but ``epc_id``, so the block is one join of the ids. psycopg's
    ``write_row`` formats each row value by value: 3-4x the client CPU for these rows."""
    if not ids:
        return ""
    tail = f"\t{seq}\t{role}\t\\N\t\\N\n"
    return tail.join(map(str, ids)) + tail


def _reserve(raw: Any, table: str, column: str, count: int) -> range:
    """``count`` consecutive values of the PostgreSQL sequence of ``table.column``, in one
    statement: the sequence moves past them at once (``setval`` to ``nextval + count - 1``)
    instead of one ``nextval`` per value (500k keys: 1.3 s of server time). Only a writer
    holding the capture lock may do this: nobody else takes values from these sequences."""
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT setval(s, nextval(s) + %s - 1) FROM pg_get_serial_sequence(%s, %s) AS s",
            (count, table, column),
        )
        (last,) = cursor.fetchone()
    return range(int(last) - count + 1, int(last) + 1)


class _Writer:
    """Writes batches of validated events inside one capture transaction."""

    def __init__(self, conn: Connection, job_id: str) -> None:
        self.conn = conn
        self.sqlite = is_sqlite(conn)
        #: set by :meth:`begin`
        self.record_time = datetime.min.replace(tzinfo=UTC)
        self.begun = False
        self.job_id = job_id
        self.keys: dict[str, int] = {}
        self.captured: list[str] = []
        self.duplicates: list[str] = []
        self.declared: list[str] = []
        self.epc_rows = 0
        self.next_seq: int | None = None

    def begin(self) -> None:
        """Before the first write: on PostgreSQL take the capture lock (held to the end of the
        transaction); then fix the capture's ``recordTime``.

        The lock is taken this late so that a capture reads, validates and hashes its first
        batch (a whole document of up to :data:`BATCH_SIZE` events) while another capture
        writes. ``recordTime`` is read under the lock, so captures' recordTimes grow in the
        order of their commits, as their ``seq`` do (a consumer polling by recordTime misses
        nothing committed after its poll)."""
        if self.begun:
            return
        if not self.sqlite:
            self.conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CAPTURE_LOCK}
            )
        self.record_time = datetime.now(UTC)
        self.begun = True

    # ---------------------------------------------------------------- identities

    def _stored(self, ids: set[str], hashes: set[str]) -> dict[str, tuple[int, str, bool]]:
        found: dict[str, tuple[int, str, bool]] = {}
        for sql, values in ((_STORED_BY_ID, ids), (_STORED_BY_HASH, hashes)):
            for seq, event_id, hashed, declared in dbapi.select_in(
                self.conn, sql, sorted(values), "text"
            ):
                entry = (int(seq), str(event_id), bool(declared))
                found[event_id] = entry
                found[hashed] = entry
        return found

    def _seqs(self, count: int) -> list[int]:
        if self.sqlite:
            if self.next_seq is None:
                [(top,)] = dbapi.execute(self.conn, "SELECT max(seq) FROM event")
                self.next_seq = int(top or 0) + 1
            first = self.next_seq
            self.next_seq += count
            return list(range(first, first + count))
        return list(_reserve(self._raw(), "event", "seq", count))

    def _epc_ids(self, uris: set[str]) -> set[int]:
        """Make sure every key of ``uris`` is in :attr:`keys`; return the ids created now."""
        if len(self.keys) + len(uris) > _KEY_CACHE_LIMIT:
            # bounded memory: forget older keys BEFORE choosing what to fetch, so that every key
            # of this batch is in the cache afterwards
            self.keys.clear()
        missing = sorted(uris.difference(self.keys))
        if not missing:
            return set()
        # read the keys that exist already (one indexed SELECT per chunk; one on PostgreSQL),
        # then insert only the new ones, with ids chosen here: no conflict check for stored
        # keys, no read-back of new ones
        keys = self.keys
        for key_id, uri in dbapi.select_in(
            self.conn, "SELECT id, uri FROM epc WHERE uri {in}", missing, "text"
        ):
            keys[uri] = int(key_id)
        new = [uri for uri in missing if uri not in keys]
        if not new:
            return set()
        cursor = self._raw().cursor()
        try:
            if self.sqlite:
                # one writer (BEGIN IMMEDIATE): nobody else adds keys meanwhile, so the ids are
                # the ones SQLite would choose itself (max + 1, …) and need no read-back; a
                # conflict would be a bug and fails the capture instead of mixing keys up
                cursor.execute("SELECT max(id) FROM epc")
                (top,) = cursor.fetchone()
                first = int(top or 0) + 1
                ids: Sequence[int] = range(first, first + len(new))
                created = list(zip(ids, new, strict=True))
                dbapi.sqlite_insert(cursor, "INSERT INTO epc (id, uri)", 2, created)
            else:
                # capture is the only writer of ``epc`` and holds the capture lock: reserve the
                # ids from the sequence and COPY the rows (a conflict fails the capture)
                ids = _reserve(self._raw(), "epc", "id", len(new))
                with cursor.copy("COPY epc (id, uri) FROM STDIN") as copy:
                    plain = "".join(new)
                    if any(special in plain for special in _COPY_SPECIAL):
                        for row in zip(ids, new, strict=True):
                            copy.write_row(row)  # psycopg escapes them
                    else:
                        rows = zip(ids, new, strict=True)
                        copy.write("".join([f"{i}\t{uri}\n" for i, uri in rows]))
        finally:
            cursor.close()
        keys.update(zip(new, ids, strict=True))
        return set(ids)

    def _raw(self) -> Any:
        raw = self.conn.connection.driver_connection
        if raw is None:  # pragma: no cover - a checked-out connection always has one
            raise RuntimeError("no DBAPI connection")
        return raw

    # ---------------------------------------------------------------- batches

    def write(self, batch: list[Event], hashes: list[str]) -> None:
        """Store one batch (with the events' hashes): classify, upsert keys, insert, apply
        declarations, project."""
        self.begin()
        ids = [event.event_id or hashed for event, hashed in zip(batch, hashes, strict=True)]
        # earlier batches of this document are in the database (same transaction) by now
        seen: dict[str, tuple[int, str, bool]] = {}  # id or hash → (seq, id, declared)
        stored = self._stored(set(ids), set(hashes))
        fresh: list[tuple[Event, str, str]] = []
        declarations: list[tuple[int, str, Event]] = []
        for event, hashed, event_id in zip(batch, hashes, ids, strict=True):
            match = seen.get(event_id) or seen.get(hashed)
            match = match or stored.get(event_id) or stored.get(hashed)
            if match is None:
                fresh.append((event, event_id, hashed))
                seen[event_id] = seen[hashed] = (
                    -1,
                    event_id,
                    event.error_declaration is not None,
                )
            elif event.error_declaration is not None and not match[2]:
                declarations.append((match[0], match[1], event))
                self.declared.append(match[1])
                seen[event_id] = seen[hashed] = (match[0], match[1], True)
            else:
                self.duplicates.append(event_id)
        indexed = [
            index_event(
                event,
                event_id=event_id,
                event_hash=hashed,
                record_time=self.record_time,
                job_id=self.job_id,
            )
            for event, event_id, hashed in fresh
        ]
        captured, new_keys = self._insert(indexed) if indexed else ([], set())
        declared: list[int] = []
        if declarations:
            # a declaration of an event of this very batch: its seq is known only now
            seqs = {item.event_id: item.seq for item in captured}
            targets = [(seq if seq >= 0 else seqs[e], ev) for seq, e, ev in declarations]
            self._declare(targets)
            declared = [seq for seq, _ in targets]
        if captured or declared:
            # declared events no longer count for item state: the projection replays their items
            projection.apply(self.conn, captured, declared=declared, new_keys=new_keys)

    def _insert(self, indexed: list[IndexedEvent]) -> tuple[list[CapturedEvent], set[int]]:
        """Insert the events and their index rows; the events and the keys created for them."""
        uris: set[str] = set()
        for item in indexed:
            for keys_of_role, _role in item.instances:
                uris.update(keys_of_role)
            uris.update(uri for uri, _role, _q, _u in item.classes)
        new_keys = self._epc_ids(uris)
        seqs = self._seqs(len(indexed))
        # rows as tuples in the column order of each table (see schema.py)
        tables: dict[str, list[tuple[object, ...]]] = {name: [] for name in _INDEX_TABLES}
        events, classes = tables["event"], tables["event_epc"]
        # the instance rows of event_epc (most of a capture's rows), without a tuple per row:
        # SQLite one flat list of values, the rows of an instance list written column by column
        # with slice assignments; PostgreSQL COPY text, one block per instance list (see
        # :func:`_copy_block`). Class rows (quantities) stay tuples in ``classes``.
        flat: list[object] = []
        text: list[str] = []
        event_columns = _EVENT_COLUMNS
        keys = self.keys
        captured: list[CapturedEvent] = []
        instance_rows = 0
        for seq, item in zip(seqs, indexed, strict=True):
            row = item.row
            events.append((seq, *[row.get(name) for name in event_columns]))
            # the projection's members (instance roles), so that it needs neither the event's
            # keys nor its lists
            members: list[tuple[int, str, int]] = []
            for uris_of_role, role in item.instances:
                ids = [keys[uri] for uri in uris_of_role]
                count = len(ids)
                instance_rows += count
                if self.sqlite:
                    block: list[object] = [None] * (_EPC_WIDTH * count)
                    block[0::_EPC_WIDTH] = ids
                    block[1::_EPC_WIDTH] = [seq] * count
                    block[2::_EPC_WIDTH] = [role] * count
                    flat += block
                else:
                    text.append(_copy_block(ids, seq, role))
                members += zip(ids, uris_of_role, repeat(role))
            if item.classes:
                classes += [(keys[uri], seq, role, q, u) for uri, role, q, u in item.classes]
            _other_rows(seq, item, tables)
            captured.append(
                CapturedEvent(seq=seq, event=item.event, event_id=item.event_id, members=members)
            )
            self.captured.append(item.event_id)
        self.epc_rows += instance_rows + len(classes)
        if self.sqlite and classes:
            flat += chain.from_iterable(self._sqlite_values(schema.event_epc, classes))
            classes.clear()
        for name, rows in tables.items():
            if name == "event_epc":
                self._write_epc_rows(flat, text, rows)
            elif rows:
                self._bulk(schema.metadata.tables[name], rows)
        return captured, new_keys

    def _write_epc_rows(
        self, flat: list[object], text: list[str], classes: list[tuple[object, ...]]
    ) -> None:
        """Insert the ``event_epc`` rows: ``flat`` values (SQLite), or ``text`` blocks of COPY
        text and the ``classes`` rows (PostgreSQL, one COPY)."""
        if self.sqlite:
            if flat:
                cursor = self._raw().cursor()
                try:
                    dbapi.sqlite_insert_flat(cursor, _EPC_INSERT, _EPC_WIDTH, flat)
                finally:
                    cursor.close()
            return
        if not text and not classes:
            return
        with self._raw().cursor() as cursor, cursor.copy(_EPC_COPY) as copy:
            if text:
                copy.write("".join(text))
            for row in classes:
                copy.write_row(row)

    def _sqlite_values(
        self, table: sa.Table, rows: list[tuple[object, ...]]
    ) -> list[tuple[object, ...]]:
        """``rows`` of ``table`` with the columns' bind processors applied (Decimal → float,
        bool): SQLAlchemy does that for the statements it runs itself."""
        converted = [
            (index, process)
            for index, process in enumerate(_bind_processors(table, self.conn.dialect))
            if process is not None
        ]
        return _converted(rows, converted) if converted else rows

    def _bulk(self, table: sa.Table, rows: list[tuple[object, ...]]) -> None:
        """Insert ``rows`` (tuples in the column order of ``table``)."""
        raw = self._raw()
        if self.sqlite:
            # raw DBAPI inserts of tuples, many rows per statement: SQLAlchemy would build the
            # parameters of every row itself; the columns' bind processors (Decimal → float,
            # bool) still apply
            rows = self._sqlite_values(table, rows)
            columns = ", ".join(column.name for column in table.columns)
            cursor = raw.cursor()
            try:
                head = f"INSERT INTO {table.name} ({columns})"
                dbapi.sqlite_insert(cursor, head, len(table.columns), rows)
            finally:
                cursor.close()
            return
        with raw.cursor() as cursor:
            dbapi.pg_copy(cursor, table, rows)

    def _declare(self, declarations: list[tuple[int, Event]]) -> None:
        """Apply errorDeclarations to stored events (EPCIS 2.0 §7.4.1.2)."""
        table = schema.event
        for seq, declaring in declarations:
            error = declaring.error_declaration
            if error is None:  # pragma: no cover - only declarations are queued
                continue
            body = self.conn.execute(sa.select(table.c.body).where(table.c.seq == seq)).scalar()
            if body is None:  # pragma: no cover - the seq was just read or written
                continue
            stored = msgspec.structs.replace(decode_event(bytes(body)), error_declaration=error)
            self.conn.execute(
                sa.update(table)
                .where(table.c.seq == seq)
                .values(
                    error_declared=True,
                    error_declaration_time=to_micros(error.declaration_time),
                    error_reason=error.reason,
                    body=encode_event(stored),
                )
            )
            corrections = list(dict.fromkeys(error.corrective_event_ids))
            if corrections:
                self.conn.execute(
                    sa.insert(schema.event_correction),
                    [{"seq": seq, "corrective_event_id": ident} for ident in corrections],
                )


# --------------------------------------------------------------------------- pipeline


def _describe(source: CaptureSource) -> str | None:
    if isinstance(source, Path):
        return str(source)
    if isinstance(source, EPCISDocument | bytes):
        return None
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else None


@contextmanager
def _sqlite_cache(conn: Connection) -> Iterator[None]:
    """On SQLite, a page cache of at least :data:`_SQLITE_CACHE_KIB` while the capture writes;
    the connection's own setting afterwards (it goes back to the pool)."""
    if not is_sqlite(conn):
        yield
        return
    raw = dbapi.driver(conn)
    [(size,)] = raw.execute("PRAGMA cache_size").fetchall()
    # a positive size counts pages, a negative one KiB
    page = raw.execute("PRAGMA page_size").fetchone()[0] if size > 0 else 0
    current = size * page // 1024 if size > 0 else -size
    if current >= _SQLITE_CACHE_KIB:
        yield
        return
    raw.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={int(size)}")


class _FewerCollections:
    """While any capture of this process runs, the cyclic garbage collector looks at young
    objects every :data:`_GC_YOUNG` allocations instead of every 700 (:func:`gc.set_threshold`).

    A capture allocates millions of short-lived containers (events, rows, tuples): they are
    freed by reference counting, but every 700 allocations the collector scanned them all the
    same, about a tenth of a capture's CPU (1 MB documents on PostgreSQL: 124 → 109 ms of
    client CPU each; docs/benchmarks.md, store_capture, ninth session). Nothing they hold forms
    cycles, so deferring the scans costs no memory. The setting is the process's: captures of
    several threads share it (counted), and the last one restores the threshold it found.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved: tuple[int, int, int] | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._saved = gc.get_threshold()
                young, middle, old = self._saved
                if young:  # 0: collection disabled by the application, leave it so
                    gc.set_threshold(max(young, _GC_YOUNG), middle, old)
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0 and self._saved is not None:
                    gc.set_threshold(*self._saved)
                    self._saved = None


_fewer_collections = _FewerCollections()


_Read = tuple[Event, list[Problem], str]


def _read(opened: _Opened) -> Iterator[_Read]:
    """Each event with its errors and, when it has none, its event hash (else "")."""
    for event, problems in iter_validated(
        opened.events,
        syntax=opened.syntax,
        kind=opened.kind,
        schema_version=opened.schema_version,
    ):
        errors = [problem for problem in problems if problem.severity == "error"]
        yield event, errors, "" if errors else event_hash(event)


def _reading(opened: _Opened, sqlite: bool) -> AbstractContextManager[Iterator[_Read]]:
    """The events of ``opened`` as :func:`_read` gives them; on PostgreSQL read in a second
    thread ahead of the writing, so that Python reads the next events while the server
    processes a batch (81 MB document, 3 runs each on a 2-core VM: median 16.0 → 15.1 s; a
    re-capture 1.8 s either way). On SQLite the writing holds the GIL for most of its time (the
    driver gives it up only for each row's step): reading ahead made the same capture 5-13%
    slower there, so SQLite reads in the writing thread."""
    if sqlite:
        return nullcontext(_read(opened))
    return prefetched(_read(opened))


_Batch = tuple[list[Event], list[str], int]


def _batches(
    events: Iterator[_Read], *, behaviour: jobs.Behaviour, rejected: list[Problem]
) -> Iterator[_Batch]:
    """The valid events in batches of :data:`BATCH_SIZE`, each with their hashes and the
    number of events read so far; the last batch (maybe empty) once the document is read.

    The problems of invalid events go to ``rejected``; with ``rollback`` behaviour no event is
    kept once one is invalid, and the end of the document raises :class:`_Rollback`, as does
    a document that cannot be read to its end (its problem added)."""
    batch: list[Event] = []
    hashes: list[str] = []
    read = 0
    try:
        for event, errors, hashed in events:
            read += 1
            if errors:
                rejected.extend(errors)
            elif not (rejected and behaviour == "rollback"):
                batch.append(event)
                hashes.append(hashed)
            if len(batch) >= BATCH_SIZE:
                yield batch, hashes, read
                batch, hashes = [], []
    except EpcisDocumentError as exc:
        rejected.append(_reader_problem(exc, read))
        raise _Rollback from exc
    if rejected and behaviour == "rollback":
        raise _Rollback
    yield batch, hashes, read


def _first_then(first: list[_Batch], rest: Iterator[_Batch]) -> Iterator[_Batch]:
    """The one batch of ``first`` (taken out of the list, so that nothing holds it once it is
    written), then ``rest``."""
    yield first.pop()
    yield from rest


def _write_all(
    conn: Connection,
    opened: _Opened,
    batches: Iterator[_Batch],
    *,
    job_id: str,
    progress: Callable[[int], None] | None,
) -> _Writer:
    writer = _Writer(conn, job_id)
    read = 0
    for batch, hashes, read in batches:
        if batch:
            writer.write(batch, hashes)
        del batch, hashes  # written: not held while the next batch is read
        if progress is not None:
            progress(read)
    writer.begin()  # a document of master data only
    masterdata.put_vocabularies(conn, opened.master_data())
    if progress is not None:
        progress(read)
    return writer


def capture(
    engine: Engine,
    source: CaptureSource,
    *,
    behaviour: jobs.Behaviour = "rollback",
    syntax: Syntax | None = None,
    job_id: str | None = None,
    progress: Callable[[int], None] | None = None,
    org_id: str | None = None,
) -> CaptureResult:
    """Capture one EPCIS document (XML 1.2/2.0 or JSON-LD) into the store.

    ``org_id`` is the organization the capture acts for, recorded in ``capture_job.org_id``
    (it decides who sees the events, see :mod:`medtrace.store.visibility`); ``None`` is the
    installation itself (the CLI).

    ``syntax`` ``None`` sniffs it from the first byte. ``progress`` is called with the number
    of events read so far after every batch. Bad documents never raise: their problems are in
    ``rejected`` (a file that cannot be opened is a ``document.invalid`` problem too).
    """
    if behaviour not in ("rollback", "proceed"):
        raise ValueError(f"behaviour must be 'rollback' or 'proceed', got {behaviour!r}")
    job_id = job_id or str(uuid.uuid4())
    jobs.start_job(
        engine, job_id=job_id, behaviour=behaviour, source=_describe(source), org_id=org_id
    )
    rejected: list[Problem] = []
    writer: _Writer | None = None
    try:
        with ExitStack() as stack:
            stack.enter_context(_fewer_collections())
            opened = _open(stack, source, syntax)
            events = stack.enter_context(_reading(opened, is_sqlite(engine)))
            batches = _batches(events, behaviour=behaviour, rejected=rejected)
            # the first batch (a whole document of up to BATCH_SIZE events) is read, validated
            # and hashed before the transaction: on SQLite, BEGIN IMMEDIATE takes the single
            # writer's lock, which is then not held while the document is parsed; a document
            # refused at once never takes it
            first = [next(batches)]
            with write_transaction(engine) as conn, _sqlite_cache(conn):
                writer = _write_all(
                    conn,
                    opened,
                    _first_then(first, batches),
                    job_id=job_id,
                    progress=progress,
                )
                # the job finishes in the capture transaction: its events and its outcome
                # become visible together (one commit less per document)
                result = _result(writer, tuple(rejected), job_id)
                jobs.record_finish(conn, **_outcome(result, writer))
            # a load that is a large share of the store: fresh planner statistics (PostgreSQL)
            maintenance.refresh_after_load(engine, inserted_rows=writer.epc_rows)
            return result
    except _Rollback:
        writer = None
    except EpcisDocumentError as exc:
        rejected.append(_reader_problem(exc, None))
        writer = None
    # nothing was stored: the job finishes on its own
    result = _result(None, tuple(rejected), job_id)
    jobs.finish_job(engine, **_outcome(result, None))
    return result


def _result(writer: _Writer | None, errors: tuple[Problem, ...], job_id: str) -> CaptureResult:
    return CaptureResult(
        captured=len(writer.captured) if writer else 0,
        duplicates=len(writer.duplicates) if writer else 0,
        rejected=errors,
        event_ids=tuple(writer.captured) if writer else (),
        job_id=job_id,
        duplicate_ids=tuple(writer.duplicates) if writer else (),
        declared_ids=tuple(writer.declared) if writer else (),
    )


def _outcome(result: CaptureResult, writer: _Writer | None) -> dict[str, Any]:
    """The keyword arguments of :func:`jobs.finish_job` / :func:`jobs.record_finish`."""
    return {
        "job_id": result.job_id,
        "success": writer is not None and not has_errors(result.rejected),
        "captured": result.captured,
        "duplicates": result.duplicates,
        "errors": result.rejected,
    }
