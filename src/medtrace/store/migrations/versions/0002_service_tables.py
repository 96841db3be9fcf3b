"""Service tables: organizations, API keys, signing keys, verification log, named queries,
subscriptions; capture_job.org_id

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:19:35.331698
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "api_key",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("last_used", sa.BigInteger(), nullable=True),
        sa.Column("revoked", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_org_id"), ["org_id"], unique=False)

    op.create_table(
        "named_query",
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("definition", sa.LargeBinary(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "name", name=op.f("pk_named_query")),
    )
    op.create_table(
        "organization",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("name", name=op.f("uq_organization_name")),
    )
    op.create_table(
        "organization_identifier",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_organization_identifier")),
    )
    with op.batch_alter_table("organization_identifier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_identifier_org_id"), ["org_id"], unique=False
        )

    op.create_table(
        "signing_key",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("retired", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_key")),
    )
    op.create_table(
        "subscription",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("query_name", sa.Text(), nullable=False),
        sa.Column("query", sa.LargeBinary(), nullable=False),
        sa.Column("dest", sa.Text(), nullable=False),
        sa.Column("signature_token", sa.Text(), nullable=True),
        sa.Column("stream", sa.Boolean(), nullable=False),
        sa.Column("schedule", sa.LargeBinary(), nullable=True),
        sa.Column("report_if_empty", sa.Boolean(), nullable=False),
        sa.Column("initial_record_time", sa.BigInteger(), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("cursor_seq", sa.BigInteger(), nullable=False),
        sa.Column("next_attempt", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_delivered", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscription_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subscription_org_id_query_name"), ["org_id", "query_name"], unique=False
        )

    op.create_table(
        "verification_request",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=True),
        sa.Column("req_gln", sa.Text(), nullable=True),
        sa.Column("corr_uuid", sa.Text(), nullable=True),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("link_type", sa.Text(), nullable=True),
        sa.Column("gtin", sa.Text(), nullable=False),
        sa.Column("serial", sa.Text(), nullable=False),
        sa.Column("lot", sa.Text(), nullable=True),
        sa.Column("expiry", sa.Text(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("additional_info", sa.Text(), nullable=True),
        sa.Column("responder_gln", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_request")),
    )
    with op.batch_alter_table("verification_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_request_gtin_serial"), ["gtin", "serial"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_verification_request_org_id"), ["org_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_verification_request_time"), ["time"], unique=False)

    with op.batch_alter_table("capture_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_id", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_capture_job_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("capture_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capture_job_org_id"))
        batch_op.drop_column("org_id")

    with op.batch_alter_table("verification_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_request_time"))
        batch_op.drop_index(batch_op.f("ix_verification_request_org_id"))
        batch_op.drop_index(batch_op.f("ix_verification_request_gtin_serial"))

    op.drop_table("verification_request")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_org_id_query_name"))
        batch_op.drop_index(batch_op.f("ix_subscription_org_id"))

    op.drop_table("subscription")
    op.drop_table("signing_key")
    with op.batch_alter_table("organization_identifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_identifier_org_id"))

    op.drop_table("organization_identifier")
    op.drop_table("organization")
    op.drop_table("named_query")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_org_id"))

    op.drop_table("api_key")
