"""The typed settings of the HTTP service (one object, from the environment or the CLI).

Every value has a safe default, so ``ApiSettings()`` serves the embedded SQLite store in the
current directory on the loopback interface. :meth:`ApiSettings.from_env` reads the
``MEDTRACE_*`` variables (``medtrace serve`` passes its options on top). Secrets are never part
of the settings: API keys live (hashed) in the database.

=============================  =================================  ===============================
variable                       field                              default
=============================  =================================  ===============================
``MEDTRACE_DB``                ``db``                             ``./medtrace.sqlite``
``MEDTRACE_SPOOL``             ``spool_dir``                      ``<db file>.spool`` / temp dir
``MEDTRACE_CAPTURE_MAX_BYTES`` ``capture_max_bytes``              64 MiB
``MEDTRACE_CAPTURE_MAX_EVENTS````capture_max_events``             100 000
``MEDTRACE_PER_PAGE``          ``default_per_page``               30 (the REST binding default)
``MEDTRACE_MAX_PER_PAGE``      ``max_per_page``                   1000
=============================  =================================  ===============================

>>> ApiSettings(db="sqlite:////var/lib/medtrace/db.sqlite").effective_spool_dir()
PosixPath('/var/lib/medtrace/db.sqlite.spool')
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from medtrace.store.engine import normalize_url, resolve_db

__all__ = ["ApiSettings", "SettingsError"]

_MIB: Final = 1024 * 1024


class SettingsError(ValueError):
    """A ``MEDTRACE_*`` variable holds a value of the wrong form."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a positive integer, got {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name}: expected a positive integer, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiSettings:
    """Configuration of one service process (see the module docstring).

    ``capture_max_bytes`` / ``capture_max_events`` are the capture limits advertised in
    ``GS1-EPCIS-Capture-File-Size-Limit`` / ``GS1-EPCIS-Capture-Limit`` (EPCIS 2.0 REST
    binding, ``OPTIONS /capture``); a larger request is refused with ``413``.
    ``spool_dir`` holds capture documents until their job has finished (``None``: derived from
    the database, see :meth:`effective_spool_dir`). ``capture_worker`` runs the background
    capture worker in this process (tests may turn it off to observe pending jobs).
    """

    db: str = ""
    spool_dir: Path | None = None
    capture_max_bytes: int = 64 * _MIB
    capture_max_events: int = 100_000
    default_per_page: int = 30
    max_per_page: int = 1000
    capture_worker: bool = True
    worker_poll_seconds: float = 1.0

    def __post_init__(self) -> None:
        for name in ("capture_max_bytes", "capture_max_events", "default_per_page"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_per_page < self.default_per_page:
            raise SettingsError(
                f"max_per_page ({self.max_per_page}) must not be below default_per_page "
                f"({self.default_per_page})"
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

    def with_db(self, db: str | None) -> ApiSettings:
        """A copy with ``db`` replaced (when given)."""
        return self if not db else replace(self, db=db)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiSettings:
        """Settings from ``MEDTRACE_*`` variables (``os.environ`` by default).

        >>> ApiSettings.from_env({"MEDTRACE_CAPTURE_MAX_EVENTS": "500"}).capture_max_events
        500
        """
        source = os.environ if env is None else env
        spool = source.get("MEDTRACE_SPOOL")
        defaults = cls()
        return cls(
            db=source.get("MEDTRACE_DB", ""),
            spool_dir=Path(spool) if spool else None,
            capture_max_bytes=_int(
                source, "MEDTRACE_CAPTURE_MAX_BYTES", defaults.capture_max_bytes
            ),
            capture_max_events=_int(
                source, "MEDTRACE_CAPTURE_MAX_EVENTS", defaults.capture_max_events
            ),
            default_per_page=_int(source, "MEDTRACE_PER_PAGE", defaults.default_per_page),
            max_per_page=_int(source, "MEDTRACE_MAX_PER_PAGE", defaults.max_per_page),
        )
