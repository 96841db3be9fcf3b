"""Reads end with COMMIT, so that a pooled PostgreSQL connection keeps its prepared statements.

psycopg forgets every prepared statement of a connection when a transaction on it is rolled back
(and sends ``DEALLOCATE ALL``), and SQLAlchemy rolls back the transaction of a connection closed
without a commit. A read through ``engine.connect()`` therefore cost the next organization's
``MATCH_anyEPC`` on that connection a fresh plan of its ~15 KB statement (~100 ms on a 10M-row
store): under a custodian's load, the subscription worker's poll and the key lookups did that
several times a second. The server's periodic and per-request reads use
:func:`medtrace.store.engine.read_connection` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from medtrace.api import service_sql
from medtrace.store import dbapi, migrations, subscriptions, tenancy
from medtrace.store.engine import create_store_engine, read_connection
from medtrace.store.principal import Role


@pytest.fixture
def one_connection(backend: str, db_url: str) -> Iterator[sa.Engine]:
    """A store engine whose pool holds one connection: every read below runs on it."""
    if backend != "postgres":
        pytest.skip("prepared statements and their plans are PostgreSQL's")
    engine = create_store_engine(db_url, pool_size=1, max_overflow=0)
    try:
        migrations.upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def _probes(engine: sa.Engine) -> int:
    with read_connection(engine) as conn:
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_prepared_statements "
            "WHERE statement = 'SELECT $1::int AS medtrace_probe'"
        ).scalar_one()
    return int(count)


def test_the_servers_reads_keep_prepared_statements(one_connection: sa.Engine) -> None:
    engine = one_connection
    org = tenancy.create_organization(
        engine, name="Pharmacy", role=Role.OPERATOR, glns=["0614141000005"]
    )
    _, token = tenancy.create_api_key(engine, org.org_id)
    with read_connection(engine) as conn:
        dbapi.execute_planned_once(conn, "SELECT %(x)s::int AS medtrace_probe", {"x": 1})
    assert _probes(engine) == 1
    reads: dict[str, Callable[[], object]] = {
        "authenticate_api_key": lambda: tenancy.authenticate_api_key(engine, token),
        "get_organization": lambda: tenancy.get_organization(engine, org.org_id),
        "list_organizations": lambda: tenancy.list_organizations(engine),
        "ensure_local_admin": lambda: tenancy.ensure_local_admin(engine),
        "subscriptions.due": lambda: subscriptions.due(engine, 0),
        "subscriptions.get": lambda: subscriptions.get(engine, org.org_id, "q", "s"),
        "get_named_query": lambda: service_sql.get_named_query(engine, org.org_id, "q"),
        "list_named_queries": lambda: service_sql.list_named_queries(
            engine, org.org_id, after=None, limit=10
        ),
        "get_job": lambda: service_sql.get_job(engine, "no-such-job"),
        "list_jobs": lambda: service_sql.list_jobs(engine, None, after=None, limit=10),
    }
    for name, read in reads.items():
        read()
        assert _probes(engine) == 1, f"{name} dropped the connection's prepared statements"
