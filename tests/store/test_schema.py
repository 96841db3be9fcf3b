"""Schema, migrations and engine configuration on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from medtrace.store import migrations, schema
from medtrace.store.engine import (
    StoreConfigError,
    create_store_engine,
    normalize_url,
    resolve_db,
    write_transaction,
)


def test_migrations_build_exactly_the_metadata(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []
        assert migrations.current_revision(conn) == migrations.head_revision()


def test_upgrade_is_idempotent(engine: sa.Engine) -> None:
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision()


def test_0004_downgrades_and_upgrades_again(engine: sa.Engine, backend: str) -> None:
    def collation() -> str | None:
        if backend != "postgres":
            return None
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT collation_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = 'epc' "
                    "AND column_name = 'uri'"
                )
            ).scalar_one()

    with write_transaction(engine) as conn:
        command.downgrade(migrations.alembic_config(conn), "0003")
    assert migrations.current_revision(engine) == "0003"
    assert collation() is None  # the database's default again (PostgreSQL)
    migrations.upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []
    assert collation() == ("C" if backend == "postgres" else None)


def test_no_foreign_keys_between_tables(engine: sa.Engine) -> None:
    inspector = sa.inspect(engine)
    for table in schema.metadata.tables:
        assert inspector.get_foreign_keys(table) == [], table


def test_event_seq_is_bigint_on_postgres(engine: sa.Engine, backend: str) -> None:
    columns = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("event")}
    expected = sa.BigInteger if backend == "postgres" else sa.Integer
    assert isinstance(columns["seq"], expected)


def test_keys_compare_bytes_and_bodies_use_lz4_on_postgres(engine: sa.Engine, backend: str) -> None:
    # alembic's compare_metadata does not compare collations: checked here (migration 0004)
    if backend != "postgres":
        pytest.skip("collations and TOAST compression are PostgreSQL's")
    with engine.connect() as conn:
        collations = dict(
            conn.execute(
                sa.text(
                    "SELECT table_name || '.' || column_name, collation_name "
                    "FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND column_name IN ('uri', 'event_id', 'event_hash') "
                    "AND table_name IN ('epc', 'event')"
                )
            ).all()
        )
        compression = conn.execute(
            sa.text(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'event'::regclass AND attname = 'body'"
            )
        ).scalar_one()
        lz4 = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_settings "
                "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
            )
        ).scalar_one()
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # the index, if it can serve
        plan = "\n".join(
            conn.execute(
                sa.text("EXPLAIN SELECT id FROM epc WHERE uri LIKE 'https://id.gs1.org/01/1%'")
            ).scalars()
        )
    assert collations == {"epc.uri": "C", "event.event_id": "C", "event.event_hash": "C"}
    assert compression == ("l" if lz4 else "")  # lz4 where the server has it, else its default
    assert "Seq Scan" not in plan  # a prefix LIKE is an index range scan


def test_decimal_numbers_round_trip(engine: sa.Engine) -> None:
    from decimal import Decimal

    with engine.begin() as conn:
        conn.execute(
            sa.insert(schema.event_epc),
            [{"epc_id": 1, "seq": 1, "role": 6, "quantity": Decimal("12.5"), "uom": "KGM"}],
        )
        got = conn.execute(sa.select(schema.event_epc.c.quantity)).scalar_one()
        bigger = conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.event_epc)
            .where(schema.event_epc.c.quantity > Decimal("12.25"))
        ).scalar_one()
    assert (got, bigger) == (Decimal("12.5"), 1)


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_store_engine(tmp_path / "p.sqlite")
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    finally:
        engine.dispose()
    assert (mode, sync) == ("wal", 1)  # 1 = NORMAL
    assert busy is not None and int(busy) > 0


@pytest.mark.parametrize(
    ("given", "driver", "database"),
    [
        # a plain relative path is a SQLite file
        ("./medtrace.sqlite", "sqlite", "./medtrace.sqlite"),
        # a plain absolute path too
        ("/var/lib/m.db", "sqlite", "/var/lib/m.db"),
        # the SQLAlchemy SQLite URL is kept
        ("sqlite:///x.sqlite", "sqlite", "x.sqlite"),
        # postgresql:// gets the psycopg 3 driver
        ("postgresql://u@h/db", "postgresql+psycopg", "db"),
        # so does the postgres:// alias
        ("postgres://u@h:5433/db", "postgresql+psycopg", "db"),
        # an explicit driver is replaced by psycopg 3
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg", "db"),
    ],
)
def test_normalize_url(given: str, driver: str, database: str) -> None:
    url = normalize_url(given)
    assert (url.drivername, url.database) == (driver, database)


@pytest.mark.parametrize(
    "given",
    [
        # an empty location
        "  ",
        # an unsupported backend
        "mysql://u@h/db",
        # not a URL at all despite the scheme separator
        "::://",
    ],
)
def test_bad_locations_are_refused(given: str) -> None:
    with pytest.raises(StoreConfigError, match=r"database|URL|expected"):
        normalize_url(given)


def test_bad_search_path_is_refused() -> None:
    with pytest.raises(StoreConfigError, match="search_path"):
        create_store_engine("postgresql://u@h/db?search_path=x;drop")


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreConfigError, match="does not exist"):
        create_store_engine(tmp_path / "nope" / "db.sqlite")


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        # --db wins
        ("a.sqlite", "b.sqlite", "a.sqlite"),
        # else MEDTRACE_DB
        (None, "b.sqlite", "b.sqlite"),
        # else the default file
        (None, None, "./medtrace.sqlite"),
    ],
)
def test_resolve_db(
    flag: str | None, env: str | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is None:
        monkeypatch.delenv("MEDTRACE_DB", raising=False)
    else:
        monkeypatch.setenv("MEDTRACE_DB", env)
    assert resolve_db(flag) == expected
