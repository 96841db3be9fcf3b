"""Who a request or a command acts for: an organization with a role (DESIGN.md "Tenancy").

Every authenticated HTTP request carries one :class:`Principal` (``request.user``). Read
paths filter by it: an organization sees the events it captured and the events on items that were
in its custody or addressed to it (source/destination); regulators and admins see everything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    """What an organization may do."""

    OPERATOR = "operator"
    """A trading partner: captures events, queries what it may see, verifies products."""
    AUDITOR = "auditor"
    """Reads what its organization may see; never writes."""
    REGULATOR = "regulator"
    """Reads everything (FDA, state boards); never writes."""
    ADMIN = "admin"
    """Runs the installation: everything, including organizations and keys."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The organization a request acts for, with its identifiers.

    ``glns`` are 13-digit GLNs; ``company_prefixes`` are GS1 Company Prefixes (digits).
    """

    org_id: str
    name: str
    role: Role
    glns: frozenset[str] = frozenset()
    company_prefixes: frozenset[str] = frozenset()
    key_id: str | None = None

    @property
    def sees_everything(self) -> bool:
        """Regulators and admins are not restricted by tenancy."""
        return self.role in {Role.REGULATOR, Role.ADMIN}

    @property
    def may_write(self) -> bool:
        """Operators and admins capture; auditors and regulators only read."""
        return self.role in {Role.OPERATOR, Role.ADMIN}
