"""The typed settings of the HTTP service (one object, from the environment or the CLI).

Every value has a safe default, so ``ApiSettings()`` serves the embedded SQLite store in the
current directory on the loopback interface. :meth:`ApiSettings.from_env` reads the
``MEDTRACE_*`` variables (``medtrace serve`` passes its options on top). Secrets are never part
of the settings: API keys live (hashed) in the database.

===================================  ===================================  ==========================
variable                             field                                default
===================================  ===================================  ==========================
``MEDTRACE_DB``                      ``db``                               ``./medtrace.sqlite``
``MEDTRACE_SPOOL``                   ``spool_dir``                        ``<db file>.spool``/temp
``MEDTRACE_CAPTURE_MAX_BYTES``       ``capture_max_bytes``                64 MiB
``MEDTRACE_CAPTURE_MAX_EVENTS``      ``capture_max_events``               100 000
``MEDTRACE_PER_PAGE``                ``default_per_page``                 30 (REST binding default)
``MEDTRACE_MAX_PER_PAGE``            ``max_per_page``                     1000
``MEDTRACE_CAPTURE_WORKER``          ``capture_worker``                   ``1`` (run capture jobs)
``MEDTRACE_SUBSCRIPTION_WORKER``     ``subscription_worker``              ``1`` (deliver webhooks)
``MEDTRACE_SUBSCRIPTION_POLL``       ``subscription_poll_seconds``        0.5
``MEDTRACE_SUBSCRIPTION_BATCH``      ``subscription_batch``               100 events per document
``MEDTRACE_SUBSCRIPTION_TIMEOUT``    ``subscription_timeout_seconds``     10
``MEDTRACE_SUBSCRIPTION_RETRY``      ``subscription_retry_seconds``       1 (first retry delay)
``MEDTRACE_SUBSCRIPTION_RETRY_MAX``  ``subscription_retry_max_seconds``   300 (longest delay)
``MEDTRACE_READ_THREADS``            ``read_threads``                     0 (1 on SQLite, else 4)
``MEDTRACE_CAPTURE_THREADS``         ``capture_threads``                  0 (1 on SQLite, else 2)
===================================  ===================================  ==========================

The subscription values tune webhook delivery (EPCIS 2.0 §8.2.5;
``medtrace.api.subscription_worker``): a failed delivery is retried after
``retry * 2**(n-1)`` seconds, at most ``retry_max``. ``read_threads`` bounds how many worker
threads of one process run read requests (queries, resources, capture job status) at once
(``0``: automatic, see :meth:`ApiSettings.effective_read_threads`); ``capture_threads`` how many
capture jobs the capture worker runs at once (:meth:`ApiSettings.effective_capture_threads`). A
value of the wrong form is refused with :class:`SettingsError` naming the variable and the value.

>>> ApiSettings(db="sqlite:////var/lib/medtrace/db.sqlite").effective_spool_dir()
PosixPath('/var/lib/medtrace/db.sqlite.spool')
>>> ApiSettings.from_env({"MEDTRACE_SUBSCRIPTION_POLL": "soon"})
Traceback (most recent call last):
...
medtrace.api.settings.SettingsError: MEDTRACE_SUBSCRIPTION_POLL: expected ..., got 'soon'
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from medtrace.store.engine import normalize_url, resolve_db

__all__ = ["ENV_VARS", "ApiSettings", "SettingsError"]

_MIB: Final = 1024 * 1024
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})

#: The environment variable of each field read by :meth:`ApiSettings.from_env`.
ENV_VARS: Final = {
    "db": "MEDTRACE_DB",
    "spool_dir": "MEDTRACE_SPOOL",
    "capture_max_bytes": "MEDTRACE_CAPTURE_MAX_BYTES",
    "capture_max_events": "MEDTRACE_CAPTURE_MAX_EVENTS",
    "default_per_page": "MEDTRACE_PER_PAGE",
    "max_per_page": "MEDTRACE_MAX_PER_PAGE",
    "capture_worker": "MEDTRACE_CAPTURE_WORKER",
    "subscription_worker": "MEDTRACE_SUBSCRIPTION_WORKER",
    "subscription_poll_seconds": "MEDTRACE_SUBSCRIPTION_POLL",
    "subscription_batch": "MEDTRACE_SUBSCRIPTION_BATCH",
    "subscription_timeout_seconds": "MEDTRACE_SUBSCRIPTION_TIMEOUT",
    "subscription_retry_seconds": "MEDTRACE_SUBSCRIPTION_RETRY",
    "subscription_retry_max_seconds": "MEDTRACE_SUBSCRIPTION_RETRY_MAX",
    "read_threads": "MEDTRACE_READ_THREADS",
    "capture_threads": "MEDTRACE_CAPTURE_THREADS",
}
_INTEGERS: Final = (
    "capture_max_bytes",
    "capture_max_events",
    "default_per_page",
    "max_per_page",
    "subscription_batch",
)
_SECONDS: Final = (
    "subscription_poll_seconds",
    "subscription_timeout_seconds",
    "subscription_retry_seconds",
    "subscription_retry_max_seconds",
)


class SettingsError(ValueError):
    """A ``MEDTRACE_*`` variable (or a settings field) holds a value of the wrong form."""


def _raw(env: Mapping[str, str], field: str) -> str | None:
    raw = env.get(ENV_VARS[field])
    return None if raw is None or not raw.strip() else raw


def _int(env: Mapping[str, str], field: str, default: int, *, minimum: int = 1) -> int:
    """An integer variable of at least ``minimum`` (1: positive; 0: a count that may be 0)."""
    raw = _raw(env, field)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        expected = "a positive integer" if minimum == 1 else f"{minimum} or a positive integer"
        raise SettingsError(f"{ENV_VARS[field]}: expected {expected}, got {raw!r}")
    return value


def _seconds(env: Mapping[str, str], field: str, default: float) -> float:
    raw = _raw(env, field)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise SettingsError(
            f"{ENV_VARS[field]}: expected a positive number of seconds, got {raw!r}"
        )
    return value


def _flag(env: Mapping[str, str], field: str, default: bool) -> bool:
    raw = _raw(env, field)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word not in _TRUE | _FALSE:
        raise SettingsError(
            f"{ENV_VARS[field]}: expected 1, true, yes, on or 0, false, no, off; got {raw!r}"
        )
    return word in _TRUE


def _named(field: str) -> str:
    return f"{field} ({ENV_VARS[field]})"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiSettings:
    """Configuration of one service process (see the module docstring).

    ``capture_max_bytes`` / ``capture_max_events`` are the capture limits advertised in
    ``GS1-EPCIS-Capture-File-Size-Limit`` / ``GS1-EPCIS-Capture-Limit`` (EPCIS 2.0 REST
    binding, ``OPTIONS /capture``); a larger request is refused with ``413``.
    ``spool_dir`` holds capture documents until their job has finished (``None``: derived from
    the database, see :meth:`effective_spool_dir`). ``capture_worker`` runs the background
    capture worker in this process (tests may turn it off to observe pending jobs);
    ``subscription_worker`` the webhook delivery worker, tuned by the ``subscription_*``
    fields (EPCIS 2.0 §8.2.5). Invalid values raise :class:`SettingsError`.
    """

    db: str = ""
    spool_dir: Path | None = None
    capture_max_bytes: int = 64 * _MIB
    capture_max_events: int = 100_000
    default_per_page: int = 30
    max_per_page: int = 1000
    capture_worker: bool = True
    worker_poll_seconds: float = 1.0
    subscription_worker: bool = True
    subscription_poll_seconds: float = 0.5
    subscription_batch: int = 100
    subscription_timeout_seconds: float = 10.0
    subscription_retry_seconds: float = 1.0
    subscription_retry_max_seconds: float = 300.0
    read_threads: int = 0
    capture_threads: int = 0

    def __post_init__(self) -> None:
        for name in _INTEGERS:
            if getattr(self, name) < 1:
                raise SettingsError(f"{_named(name)} must be at least 1, got {getattr(self, name)}")
        for name in ("read_threads", "capture_threads"):
            if getattr(self, name) < 0:
                raise SettingsError(
                    f"{_named(name)} must be 0 (automatic) or more, got {getattr(self, name)}"
                )
        for name in _SECONDS:
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise SettingsError(f"{_named(name)} must be a positive number, got {value}")
        if self.max_per_page < self.default_per_page:
            raise SettingsError(
                f"{_named('max_per_page')} = {self.max_per_page} must not be below "
                f"{_named('default_per_page')} = {self.default_per_page}"
            )
        if self.subscription_retry_max_seconds < self.subscription_retry_seconds:
            raise SettingsError(
                f"{_named('subscription_retry_max_seconds')} = "
                f"{self.subscription_retry_max_seconds} must not be below "
                f"{_named('subscription_retry_seconds')} = {self.subscription_retry_seconds}"
            )

    @property
    def database(self) -> str:
        """The database location: ``db``, else ``$MEDTRACE_DB``, else ``./medtrace.sqlite``."""
        return resolve_db(self.db or None)

    def effective_spool_dir(self) -> Path:
        """Where capture documents wait: ``spool_dir``, else next to a SQLite file, else a
        directory under the system temp dir named after the database (PostgreSQL)."""
        if self.spool_dir is not None:
            return self.spool_dir
        url = normalize_url(self.database)
        if url.drivername == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(f"{url.database}.spool")
        digest = hashlib.sha256(self.database.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"medtrace-spool-{digest}"

    def effective_read_threads(self) -> int:
        """Worker threads for read requests: ``read_threads``, else 1 on SQLite, else 4.

        On SQLite a read is CPU work under the interpreter lock (the pages are in memory):
        threads running reads side by side only take the lock from each other and from the
        event loop, and each waits out the others' switch intervals. One at a time, in
        arrival order, the operator ``GET /events`` p99 at 250 requests/s fell from ~90 ms to
        ~15 to 20 ms (``docs/benchmarks.md``, http_load). On PostgreSQL a read waits for the
        server part of the time, so a few run at once; not anyio's 40: every one holds a busy
        server process, and on the benchmark machine (2 cores, the database on the same host)
        40 at once gave the custodian's ``GET /events`` a p99 of 40 ms at half its saturating
        rate where 4 gave 21 ms, at the same throughput (docs/benchmarks.md, http_load, eighth
        session). Raise it for a remote database or long reads.
        """
        if self.read_threads:
            return self.read_threads
        return 1 if normalize_url(self.database).drivername == "sqlite" else 4

    def effective_capture_threads(self) -> int:
        """Capture jobs run at once: ``capture_threads``, else 1 on SQLite, else 2.

        PostgreSQL captures write one at a time (the capture lock, :mod:`medtrace.store.capture`)
        but each reads, validates and hashes its first batch before it takes the lock, and
        while one waits for the server the other's Python work runs: 40 documents of 1 MB into
        a 10M-row store, two threads captured 1,840 events/s where one captured 1,584 (median
        of 3 alternating runs; docs/benchmarks.md, mixed_load, ninth session). SQLite has one
        writer and captures hold the GIL most of their time: a second thread would only wait.
        """
        if self.capture_threads:
            return self.capture_threads
        return 1 if normalize_url(self.database).drivername == "sqlite" else 2

    def with_db(self, db: str | None) -> ApiSettings:
        """A copy with ``db`` replaced (when given)."""
        return self if not db else replace(self, db=db)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiSettings:
        """Settings from the ``MEDTRACE_*`` variables of :data:`ENV_VARS` (``os.environ`` by
        default); unset or blank variables keep the defaults.

        >>> ApiSettings.from_env({"MEDTRACE_CAPTURE_MAX_EVENTS": "500"}).capture_max_events
        500
        >>> ApiSettings.from_env({"MEDTRACE_SUBSCRIPTION_WORKER": "off"}).subscription_worker
        False
        """
        source = os.environ if env is None else env
        spool = _raw(source, "spool_dir")
        d = cls()
        return cls(
            db=source.get(ENV_VARS["db"], ""),
            spool_dir=Path(spool) if spool else None,
            capture_max_bytes=_int(source, "capture_max_bytes", d.capture_max_bytes),
            capture_max_events=_int(source, "capture_max_events", d.capture_max_events),
            default_per_page=_int(source, "default_per_page", d.default_per_page),
            max_per_page=_int(source, "max_per_page", d.max_per_page),
            capture_worker=_flag(source, "capture_worker", d.capture_worker),
            subscription_worker=_flag(source, "subscription_worker", d.subscription_worker),
            subscription_poll_seconds=_seconds(
                source, "subscription_poll_seconds", d.subscription_poll_seconds
            ),
            subscription_batch=_int(source, "subscription_batch", d.subscription_batch),
            subscription_timeout_seconds=_seconds(
                source, "subscription_timeout_seconds", d.subscription_timeout_seconds
            ),
            subscription_retry_seconds=_seconds(
                source, "subscription_retry_seconds", d.subscription_retry_seconds
            ),
            subscription_retry_max_seconds=_seconds(
                source, "subscription_retry_max_seconds", d.subscription_retry_max_seconds
            ),
            read_threads=_int(source, "read_threads", d.read_threads, minimum=0),
            capture_threads=_int(source, "capture_threads", d.capture_threads, minimum=0),
        )
