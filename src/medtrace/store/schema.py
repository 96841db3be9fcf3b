"""The relational schema of the event store (SQLAlchemy 2 Core ``MetaData``).

One schema for SQLite and PostgreSQL. The design (see ``docs/storage.md``):

* **The event log is the spine.** ``event.seq`` is a surrogate ``BIGINT`` that grows strictly
  in commit order (= recordTime order, EPCIS 2.0 §7.4.1 ``recordTime``). Consumers read the log
  by ``seq`` from a stored ``consumer_cursor``.
* **Surrogate integer keys for identifiers.** Every EPC, class, parent, input and output
  identifier is stored once in ``epc`` (canonical GS1 Digital Link form, see
  :func:`medtrace.store.codec.canonical_epc`) and referenced by its ``BIGINT`` id: random
  serials make text indexes slow, integers keep the big index tables narrow.
* **No foreign keys and no cascades between the big tables**, so that the schema can be
  distributed Citus-style (``event_epc`` and ``item_state`` by ``epc_id``) without cross-shard
  constraints. Integrity is the capture writer's job (one transaction per document).
* **Times are integers**: UTC microseconds since the Unix epoch (portable, sortable, exact);
  the event's own ``eventTimeZoneOffset`` is kept in ``event.event_tz``.
* **The stored body is lossless**: ``event.body`` is the msgspec JSON of the model event;
  every other event table is an index derived from it.

``event_epc.role`` codes are the module constants ``ROLE_*``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "ROLES",
    "ROLE_CHILD",
    "ROLE_CHILD_CLASS",
    "ROLE_EPC",
    "ROLE_INPUT",
    "ROLE_INPUT_CLASS",
    "ROLE_OUTPUT",
    "ROLE_OUTPUT_CLASS",
    "ROLE_PARENT",
    "ROLE_QUANTITY_CLASS",
    "DecimalNumber",
    "api_key",
    "capture_job",
    "consumer_cursor",
    "epc",
    "event",
    "event_biz_transaction",
    "event_correction",
    "event_epc",
    "event_field",
    "event_persistent_disposition",
    "event_sensor",
    "event_source_dest",
    "item_state",
    "metadata",
    "named_query",
    "organization",
    "organization_identifier",
    "page_token_revocation",
    "signing_key",
    "subscription",
    "verification_request",
    "vocabulary_attribute",
    "vocabulary_child",
    "vocabulary_element",
]

#: ``event_epc.role``: an instance EPC of ``epcList`` (Object/Transaction events).
ROLE_EPC: Final = 1
#: ``parentID`` (Aggregation, Transaction, Association events).
ROLE_PARENT: Final = 2
#: A ``childEPCs`` entry (Aggregation, Association events).
ROLE_CHILD: Final = 3
#: An ``inputEPCList`` entry (TransformationEvent).
ROLE_INPUT: Final = 4
#: An ``outputEPCList`` entry (TransformationEvent).
ROLE_OUTPUT: Final = 5
#: The class of a ``quantityList`` element.
ROLE_QUANTITY_CLASS: Final = 6
#: The class of a ``childQuantityList`` element.
ROLE_CHILD_CLASS: Final = 7
#: The class of an ``inputQuantityList`` element.
ROLE_INPUT_CLASS: Final = 8
#: The class of an ``outputQuantityList`` element.
ROLE_OUTPUT_CLASS: Final = 9

#: Role code → the EPCIS field it indexes.
ROLES: Final[dict[int, str]] = {
    ROLE_EPC: "epcList",
    ROLE_PARENT: "parentID",
    ROLE_CHILD: "childEPCs",
    ROLE_INPUT: "inputEPCList",
    ROLE_OUTPUT: "outputEPCList",
    ROLE_QUANTITY_CLASS: "quantityList",
    ROLE_CHILD_CLASS: "childQuantityList",
    ROLE_INPUT_CLASS: "inputQuantityList",
    ROLE_OUTPUT_CLASS: "outputQuantityList",
}


class DecimalNumber(sa.types.TypeDecorator[Decimal]):
    """An exact number: ``NUMERIC`` on PostgreSQL, ``REAL`` on SQLite; Python ``Decimal`` both ways.

    SQLite has no decimal type; its ``REAL`` keeps numeric comparison (``GE_value``) working. The
    lossless value is always in ``event.body``; index columns only need to compare.
    """

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        """``REAL`` (as float) on SQLite, ``NUMERIC`` elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Float(asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> object:
        """Decimal → float for SQLite (the driver cannot bind ``Decimal``)."""
        if value is None or dialect.name != "sqlite":
            return value
        return float(value)

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:  # noqa: ARG002
        """Always hand back ``Decimal`` (shortest repr of the float on SQLite)."""
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


#: ``BIGINT`` that is SQLite's rowid alias when used as the integer primary key.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: Identifier text compared byte by byte: ``TEXT COLLATE "C"`` on PostgreSQL (SQLite's ``TEXT``
#: compares bytes already). Keys are byte strings, not words: under a linguistic collation
#: (``en_US.UTF-8``, even ``C.UTF-8``) every comparison goes through the C library's collation
#: and a prefix ``LIKE`` (EPC patterns, :mod:`medtrace.store.query_sql`) cannot use the index:
#: it scanned all of ``epc`` (3.3 s at 22M keys); with ``"C"`` it is an index range scan.
Key = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
#: Binary JSON blob: ``BLOB`` / ``bytea``.
Blob = sa.LargeBinary()

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

epc = sa.Table(
    "epc",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("uri", Key, nullable=False, unique=True),
)
"""Surrogate key of every identifier used in the big tables (canonical DL form)."""

event = sa.Table(
    "event",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", Key, nullable=False, unique=True),
    sa.Column("event_hash", Key, nullable=False, unique=True),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("action", sa.Text),
    sa.Column("event_time", sa.BigInteger, nullable=False),
    sa.Column("event_tz", sa.Text, nullable=False),
    sa.Column("record_time", sa.BigInteger, nullable=False),
    sa.Column("biz_step", sa.Text),
    sa.Column("disposition", sa.Text),
    sa.Column("read_point", sa.Text),
    sa.Column("biz_location", sa.Text),
    sa.Column("transformation_id", sa.Text),
    sa.Column("error_declared", sa.Boolean, nullable=False),
    sa.Column("error_declaration_time", sa.BigInteger),
    sa.Column("error_reason", sa.Text),
    sa.Column("capture_job", sa.Text),
    sa.Column("body", Blob, nullable=False),
    sa.Index(None, "event_time"),
    sa.Index(None, "record_time"),
    sa.Index(None, "biz_step"),
    sa.Index(None, "disposition"),
    sa.Index(None, "biz_location"),
    sa.Index(None, "read_point"),
    sa.Index(None, "event_type"),
    sa.Index(None, "transformation_id"),
    sa.Index(None, "error_declaration_time"),
)
"""One row per captured event (EPCIS 2.0 §7.4); ``seq`` = commit order = recordTime order.

``read_point``/``biz_location`` are canonical (:func:`medtrace.store.codec.canonical_epc`);
``body`` is the lossless msgspec JSON of the model event with ``event_id`` and
``record_time`` set as stored.
"""

event_epc = sa.Table(
    "event_epc",
    metadata,
    sa.Column("epc_id", sa.BigInteger, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("role", sa.SmallInteger, nullable=False),
    sa.Column("quantity", DecimalNumber),
    sa.Column("uom", sa.Text),
    sa.PrimaryKeyConstraint("epc_id", "seq", "role"),
    sa.Index(None, "seq"),
)
"""What dimension (EPCIS 2.0 §7.3.3): one row per (identifier, event, role).

A class listed twice in one quantity list keeps its first quantity here (the body has all).
"""

event_biz_transaction = sa.Table(
    "event_biz_transaction",
    metadata,
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("type", sa.Text),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index(None, "value"),
    sa.Index(None, "seq"),
)
"""bizTransactionList (EPCIS 2.0 §7.3.5.3); ``type`` is the canonical CBV URN or user URI."""

event_source_dest = sa.Table(
    "event_source_dest",
    metadata,
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.CHAR(1), nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index(None, "type", "value"),
    sa.Index(None, "seq"),
)
"""sourceList (``kind='s'``) and destinationList (``'d'``), EPCIS 2.0 §7.3.5.4.

``value`` is canonical (parties and locations in GS1 Digital Link form).
"""

event_field = sa.Table(
    "event_field",
    metadata,
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("depth", sa.SmallInteger, nullable=False),
    sa.Column("text_value", sa.Text),
    sa.Column("num_value", DecimalNumber),
    sa.Column("time_value", sa.BigInteger),
    sa.Index(None, "path", "text_value"),
    sa.Index(None, "path", "num_value"),
    sa.Index(None, "name", "text_value"),
    sa.Index(None, "seq"),
)
"""User extension fields (EPCIS 2.0 §7.3.2) for the ``EQ_/GE_/EXISTS_`` field filters.

``scope``: ``event``, ``ilmd``, ``error``, ``sensorElement``, ``sensorMetadata``,
``sensorReport``, ``readPoint``, ``bizLocation``. ``path`` is ``namespace#name``; nested
elements join their ancestors' paths with ``/`` and have ``depth`` > 0 (``INNER_`` filters).
``name`` is the element's own ``namespace#name`` (the last step of ``path``), so that an
``INNER_`` filter (any depth > 0) is an indexed lookup on (``name``, ``text_value``).
An inner element gets a row too (without values), so ``EXISTS_`` works on it. ``num_value``
and ``time_value`` are set when the text parses as a number / an xsd:dateTime.
"""

event_sensor = sa.Table(
    "event_sensor",
    metadata,
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("element", sa.SmallInteger, nullable=False),
    sa.Column("report", sa.SmallInteger, nullable=False),
    # sensorMetadata (EPCIS 2.0 §7.3.7.2), repeated on every report row of the element
    sa.Column("meta_time", sa.BigInteger),
    sa.Column("start_time", sa.BigInteger),
    sa.Column("end_time", sa.BigInteger),
    sa.Column("meta_device_id", sa.Text),
    sa.Column("meta_data_processing_method", sa.Text),
    sa.Column("biz_rules", sa.Text),
    # sensorReport (EPCIS 2.0 §7.3.7.3)
    sa.Column("type", sa.Text),
    sa.Column("exception", sa.Text),
    sa.Column("device_id", sa.Text),
    sa.Column("data_processing_method", sa.Text),
    sa.Column("time", sa.BigInteger),
    sa.Column("microorganism", sa.Text),
    sa.Column("chemical_substance", sa.Text),
    sa.Column("value", DecimalNumber),
    sa.Column("component", sa.Text),
    sa.Column("string_value", sa.Text),
    sa.Column("boolean_value", sa.Boolean),
    sa.Column("hex_binary_value", sa.Text),
    sa.Column("uri_value", sa.Text),
    sa.Column("min_value", DecimalNumber),
    sa.Column("max_value", DecimalNumber),
    sa.Column("mean_value", DecimalNumber),
    sa.Column("s_dev", DecimalNumber),
    sa.Column("perc_rank", DecimalNumber),
    sa.Column("perc_value", DecimalNumber),
    sa.Column("uom", sa.Text),
    sa.Column("coordinate_reference_system", sa.Text),
    sa.Index(None, "seq"),
    sa.Index(None, "type"),
)
"""sensorElementList (EPCIS 2.0 §7.3.7): one row per sensorReport.

``element``/``report`` are 0-based positions. An element without reports gets one row with
``report = -1`` (metadata only), so ``EXISTS_sensorElementList`` and the time filters see it.
"""

event_correction = sa.Table(
    "event_correction",
    metadata,
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("corrective_event_id", sa.Text, nullable=False),
    sa.Index(None, "corrective_event_id"),
    sa.Index(None, "seq"),
)
"""errorDeclaration correctiveEventIDs (EPCIS 2.0 §7.4.1.2) for ``EQ_correctiveEventID``."""

event_persistent_disposition = sa.Table(
    "event_persistent_disposition",
    metadata,
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("op", sa.CHAR(1), nullable=False),
    sa.Column("disposition", sa.Text, nullable=False),
    sa.Index(None, "disposition"),
    sa.Index(None, "seq"),
)
"""persistentDisposition set (``op='s'``) / unset (``'u'``), EPCIS 2.0 §7.3.5.2.1."""

vocabulary_element = sa.Table(
    "vocabulary_element",
    metadata,
    sa.Column("vtype", sa.Text, nullable=False),
    sa.Column("id", sa.Text, nullable=False),
    sa.Column("attributes", Blob, nullable=False),
    sa.Column("updated", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("vtype", "id"),
)
"""Master data (EPCIS 2.0 §7.2; CBV 2.0 §10 cbvmda): one row per vocabulary element.

``id`` is canonical (:func:`medtrace.store.codec.canonical_epc`); ``attributes`` is the
msgspec JSON of the model :class:`~medtrace.epcis.model.VocabularyElement` as given.
"""

vocabulary_child = sa.Table(
    "vocabulary_child",
    metadata,
    sa.Column("vtype", sa.Text, nullable=False),
    sa.Column("parent_id", sa.Text, nullable=False),
    sa.Column("child_id", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("vtype", "parent_id", "child_id"),
    sa.Index(None, "child_id"),
)
"""Direct children of a vocabulary element (EPCIS 2.0 §7.2.2) for ``WD_`` queries."""

vocabulary_attribute = sa.Table(
    "vocabulary_attribute",
    metadata,
    sa.Column("vtype", sa.Text, nullable=False),
    sa.Column("id", sa.Text, nullable=False),
    sa.Column("attr", sa.Text, nullable=False),
    sa.Column("value", sa.Text),
    sa.Index(None, "vtype", "id"),
    sa.Index(None, "attr", "value"),
)
"""One row per attribute of an element for ``HASATTR_`` / ``EQATTR_`` (EPCIS 2.0 §8.2.7.1)."""

capture_job = sa.Table(
    "capture_job",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("finished", sa.BigInteger),
    sa.Column("running", sa.Boolean, nullable=False),
    sa.Column("success", sa.Boolean),
    sa.Column("error_behaviour", sa.Text, nullable=False),
    sa.Column("captured", sa.Integer, nullable=False),
    sa.Column("duplicates", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("errors", Blob, nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("org_id", sa.Text),
    sa.Index(None, "org_id"),
)
"""Capture jobs (EPCIS 2.0 REST binding ``/capture/{captureID}``); ``org_id`` = who captured."""

item_state = sa.Table(
    "item_state",
    metadata,
    sa.Column("epc_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("gtin", sa.Text),
    sa.Column("serial", sa.Text),
    sa.Column("lot", sa.Text),
    sa.Column("expiry", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("disposition", sa.Text),
    sa.Column("custodian", sa.Text),
    sa.Column("location", sa.Text),
    sa.Column("parent_id", sa.BigInteger),
    sa.Column("last_event_seq", sa.BigInteger, nullable=False),
    sa.Column("last_event_time", sa.BigInteger, nullable=False),
    sa.Column("commissioned_seq", sa.BigInteger),
    sa.Column("updated_seq", sa.BigInteger, nullable=False),
    sa.Index(None, "parent_id"),
    sa.Index(None, "gtin", "lot"),
    sa.Index(None, "status"),
)
"""Item state per EPC: the projection of the log (written only by ``store.projection``)."""

consumer_cursor = sa.Table(
    "consumer_cursor",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
)
"""The last ``event.seq`` each log consumer has processed."""

# --------------------------------------------------------------------------- service (0002)

organization = sa.Table(
    "organization",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
)
"""A tenant: a trading partner or regulator (role: operator, auditor, regulator, admin)."""

organization_identifier = sa.Table(
    "organization_identifier",
    metadata,
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, primary_key=True),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Index(None, "org_id"),
)
"""The GLNs (``kind='gln'``) and GS1 Company Prefixes (``'company_prefix'``) of an organization."""

api_key = sa.Table(
    "api_key",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("secret_hash", sa.Text, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("last_used", sa.BigInteger),
    sa.Column("revoked", sa.BigInteger),
    sa.Index(None, "org_id"),
)
"""API keys (also OAuth2 client credentials): only a hash of the secret is stored."""

signing_key = sa.Table(
    "signing_key",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("private_key", Blob, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("retired", sa.BigInteger),
)
"""Ed25519 keys that sign the service's bearer tokens (JWT ``EdDSA``)."""

verification_request = sa.Table(
    "verification_request",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("time", sa.BigInteger, nullable=False),
    sa.Column("org_id", sa.Text),
    sa.Column("req_gln", sa.Text),
    sa.Column("corr_uuid", sa.Text),
    sa.Column("context", sa.Text),
    sa.Column("link_type", sa.Text),
    sa.Column("gtin", sa.Text, nullable=False),
    sa.Column("serial", sa.Text, nullable=False),
    sa.Column("lot", sa.Text),
    sa.Column("expiry", sa.Text),
    sa.Column("verified", sa.Boolean, nullable=False),
    sa.Column("failure_reason", sa.Text),
    sa.Column("additional_info", sa.Text),
    sa.Column("responder_gln", sa.Text),
    sa.Index(None, "gtin", "serial"),
    sa.Index(None, "time"),
    sa.Index(None, "org_id"),
)
"""Every DSCSA verification request and its answer, for audit and integrity analysis."""

named_query = sa.Table(
    "named_query",
    metadata,
    sa.Column("org_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("definition", Blob, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
)
"""Named queries (EPCIS 2.0 REST ``/queries``), one namespace per organization."""

subscription = sa.Table(
    "subscription",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("query_name", sa.Text, nullable=False),
    sa.Column("query", Blob, nullable=False),
    sa.Column("dest", sa.Text, nullable=False),
    sa.Column("signature_token", sa.Text),
    sa.Column("stream", sa.Boolean, nullable=False),
    sa.Column("schedule", Blob),
    sa.Column("report_if_empty", sa.Boolean, nullable=False),
    sa.Column("initial_record_time", sa.BigInteger),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("cursor_seq", sa.BigInteger, nullable=False),
    sa.Column("next_attempt", sa.BigInteger),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("last_delivered", sa.BigInteger),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("delivering_until", sa.BigInteger),
    sa.Index(None, "org_id"),
    sa.Index(None, "org_id", "query_name"),
)
"""Query subscriptions (EPCIS 2.0 REST): ``cursor_seq`` = the last ``event.seq`` delivered;
``delivering_until`` is set while a webhook request is in flight (the deadline of that request),
so that unsubscribing can wait for it (``medtrace.store.subscriptions``)."""

page_token_revocation = sa.Table(
    "page_token_revocation",
    metadata,
    sa.Column("token_id", sa.Text, primary_key=True),
    sa.Column("org_id", sa.Text),
    sa.Column("revoked", sa.BigInteger, nullable=False),
)
"""Invalidated ``nextPageToken`` ids (REST ``DELETE /nextPageToken/{token}``), with who revoked
them and when (``medtrace.store.page_tokens``)."""

# SCHEMA-STABLE
