"""Initial schema: event log, index tables, master data, jobs, item state

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 05:02:51.779092
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: Exact numbers: NUMERIC on PostgreSQL, REAL on SQLite (see ``schema.DecimalNumber``).
NUMBER = sa.Numeric().with_variant(sa.Float(), "sqlite")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "capture_job",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("finished", sa.BigInteger(), nullable=True),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("error_behaviour", sa.Text(), nullable=False),
        sa.Column("captured", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("errors", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_job")),
    )
    op.create_table(
        "consumer_cursor",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_consumer_cursor")),
    )
    op.create_table(
        "epc",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epc")),
        sa.UniqueConstraint("uri", name=op.f("uq_epc_uri")),
    )
    op.create_table(
        "event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_hash", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("event_time", sa.BigInteger(), nullable=False),
        sa.Column("event_tz", sa.Text(), nullable=False),
        sa.Column("record_time", sa.BigInteger(), nullable=False),
        sa.Column("biz_step", sa.Text(), nullable=True),
        sa.Column("disposition", sa.Text(), nullable=True),
        sa.Column("read_point", sa.Text(), nullable=True),
        sa.Column("biz_location", sa.Text(), nullable=True),
        sa.Column("transformation_id", sa.Text(), nullable=True),
        sa.Column("error_declared", sa.Boolean(), nullable=False),
        sa.Column("error_declaration_time", sa.BigInteger(), nullable=True),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column("capture_job", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event")),
        sa.UniqueConstraint("event_hash", name=op.f("uq_event_event_hash")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_event_id")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_biz_location"), ["biz_location"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_biz_step"), ["biz_step"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_disposition"), ["disposition"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_event_error_declaration_time"), ["error_declaration_time"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_event_event_time"), ["event_time"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_event_type"), ["event_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_read_point"), ["read_point"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_record_time"), ["record_time"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_event_transformation_id"), ["transformation_id"], unique=False
        )

    op.create_table(
        "event_biz_transaction",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("event_biz_transaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_biz_transaction_seq"), ["seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_biz_transaction_value"), ["value"], unique=False)

    op.create_table(
        "event_correction",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("corrective_event_id", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("event_correction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_correction_corrective_event_id"),
            ["corrective_event_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_event_correction_seq"), ["seq"], unique=False)

    op.create_table(
        "event_epc",
        sa.Column("epc_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.SmallInteger(), nullable=False),
        sa.Column("quantity", NUMBER, nullable=True),
        sa.Column("uom", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("epc_id", "seq", "role", name=op.f("pk_event_epc")),
    )
    with op.batch_alter_table("event_epc", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_epc_seq"), ["seq"], unique=False)

    op.create_table(
        "event_field",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("num_value", NUMBER, nullable=True),
        sa.Column("time_value", sa.BigInteger(), nullable=True),
    )
    with op.batch_alter_table("event_field", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_field_path_num_value"), ["path", "num_value"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_field_path_text_value"), ["path", "text_value"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_field_name_text_value"), ["name", "text_value"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_event_field_seq"), ["seq"], unique=False)

    op.create_table(
        "event_persistent_disposition",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("op", sa.CHAR(length=1), nullable=False),
        sa.Column("disposition", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("event_persistent_disposition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_persistent_disposition_disposition"), ["disposition"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_persistent_disposition_seq"), ["seq"], unique=False
        )

    op.create_table(
        "event_sensor",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("element", sa.SmallInteger(), nullable=False),
        sa.Column("report", sa.SmallInteger(), nullable=False),
        sa.Column("meta_time", sa.BigInteger(), nullable=True),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("meta_device_id", sa.Text(), nullable=True),
        sa.Column("meta_data_processing_method", sa.Text(), nullable=True),
        sa.Column("biz_rules", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("exception", sa.Text(), nullable=True),
        sa.Column("device_id", sa.Text(), nullable=True),
        sa.Column("data_processing_method", sa.Text(), nullable=True),
        sa.Column("time", sa.BigInteger(), nullable=True),
        sa.Column("microorganism", sa.Text(), nullable=True),
        sa.Column("chemical_substance", sa.Text(), nullable=True),
        sa.Column("value", NUMBER, nullable=True),
        sa.Column("component", sa.Text(), nullable=True),
        sa.Column("string_value", sa.Text(), nullable=True),
        sa.Column("boolean_value", sa.Boolean(), nullable=True),
        sa.Column("hex_binary_value", sa.Text(), nullable=True),
        sa.Column("uri_value", sa.Text(), nullable=True),
        sa.Column("min_value", NUMBER, nullable=True),
        sa.Column("max_value", NUMBER, nullable=True),
        sa.Column("mean_value", NUMBER, nullable=True),
        sa.Column("s_dev", NUMBER, nullable=True),
        sa.Column("perc_rank", NUMBER, nullable=True),
        sa.Column("perc_value", NUMBER, nullable=True),
        sa.Column("uom", sa.Text(), nullable=True),
        sa.Column("coordinate_reference_system", sa.Text(), nullable=True),
    )
    with op.batch_alter_table("event_sensor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_sensor_seq"), ["seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_sensor_type"), ["type"], unique=False)

    op.create_table(
        "event_source_dest",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.CHAR(length=1), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("event_source_dest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_source_dest_seq"), ["seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_event_source_dest_type_value"), ["type", "value"], unique=False
        )

    op.create_table(
        "item_state",
        sa.Column("epc_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("gtin", sa.Text(), nullable=True),
        sa.Column("serial", sa.Text(), nullable=True),
        sa.Column("lot", sa.Text(), nullable=True),
        sa.Column("expiry", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("disposition", sa.Text(), nullable=True),
        sa.Column("custodian", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("last_event_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_event_time", sa.BigInteger(), nullable=False),
        sa.Column("commissioned_seq", sa.BigInteger(), nullable=True),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("epc_id", name=op.f("pk_item_state")),
    )
    with op.batch_alter_table("item_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_state_gtin_lot"), ["gtin", "lot"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_state_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_state_status"), ["status"], unique=False)

    op.create_table(
        "vocabulary_attribute",
        sa.Column("vtype", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("attr", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
    )
    with op.batch_alter_table("vocabulary_attribute", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vocabulary_attribute_attr_value"), ["attr", "value"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vocabulary_attribute_vtype_id"), ["vtype", "id"], unique=False
        )

    op.create_table(
        "vocabulary_child",
        sa.Column("vtype", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Text(), nullable=False),
        sa.Column("child_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("vtype", "parent_id", "child_id", name=op.f("pk_vocabulary_child")),
    )
    with op.batch_alter_table("vocabulary_child", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vocabulary_child_child_id"), ["child_id"], unique=False
        )

    op.create_table(
        "vocabulary_element",
        sa.Column("vtype", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("attributes", sa.LargeBinary(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("vtype", "id", name=op.f("pk_vocabulary_element")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("vocabulary_element")
    with op.batch_alter_table("vocabulary_child", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vocabulary_child_child_id"))

    op.drop_table("vocabulary_child")
    with op.batch_alter_table("vocabulary_attribute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vocabulary_attribute_vtype_id"))
        batch_op.drop_index(batch_op.f("ix_vocabulary_attribute_attr_value"))

    op.drop_table("vocabulary_attribute")
    with op.batch_alter_table("item_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_state_status"))
        batch_op.drop_index(batch_op.f("ix_item_state_parent_id"))
        batch_op.drop_index(batch_op.f("ix_item_state_gtin_lot"))

    op.drop_table("item_state")
    with op.batch_alter_table("event_source_dest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_source_dest_type_value"))
        batch_op.drop_index(batch_op.f("ix_event_source_dest_seq"))

    op.drop_table("event_source_dest")
    with op.batch_alter_table("event_sensor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_sensor_type"))
        batch_op.drop_index(batch_op.f("ix_event_sensor_seq"))

    op.drop_table("event_sensor")
    with op.batch_alter_table("event_persistent_disposition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_persistent_disposition_seq"))
        batch_op.drop_index(batch_op.f("ix_event_persistent_disposition_disposition"))

    op.drop_table("event_persistent_disposition")
    with op.batch_alter_table("event_field", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_field_seq"))
        batch_op.drop_index(batch_op.f("ix_event_field_name_text_value"))
        batch_op.drop_index(batch_op.f("ix_event_field_path_text_value"))
        batch_op.drop_index(batch_op.f("ix_event_field_path_num_value"))

    op.drop_table("event_field")
    with op.batch_alter_table("event_epc", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_epc_seq"))

    op.drop_table("event_epc")
    with op.batch_alter_table("event_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_correction_seq"))
        batch_op.drop_index(batch_op.f("ix_event_correction_corrective_event_id"))

    op.drop_table("event_correction")
    with op.batch_alter_table("event_biz_transaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_biz_transaction_value"))
        batch_op.drop_index(batch_op.f("ix_event_biz_transaction_seq"))

    op.drop_table("event_biz_transaction")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_transformation_id"))
        batch_op.drop_index(batch_op.f("ix_event_record_time"))
        batch_op.drop_index(batch_op.f("ix_event_read_point"))
        batch_op.drop_index(batch_op.f("ix_event_event_type"))
        batch_op.drop_index(batch_op.f("ix_event_event_time"))
        batch_op.drop_index(batch_op.f("ix_event_error_declaration_time"))
        batch_op.drop_index(batch_op.f("ix_event_disposition"))
        batch_op.drop_index(batch_op.f("ix_event_biz_step"))
        batch_op.drop_index(batch_op.f("ix_event_biz_location"))

    op.drop_table("event")
    op.drop_table("epc")
    op.drop_table("consumer_cursor")
    op.drop_table("capture_job")
