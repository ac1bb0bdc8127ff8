"""The audit log (`scan_station.audit.log`): records chained by SHA-256, the chain's head, and the
head each berita acara was made at.

Revision ID: 0015
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_record",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(64), nullable=False, index=True),
        sa.Column("action", sa.String(40), nullable=False, index=True),
        sa.Column("subject", sa.String(200), nullable=False, server_default=""),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    with op.batch_alter_table("berita_acara") as table:
        table.add_column(sa.Column("audit_seq", sa.Integer, nullable=True))
        table.add_column(sa.Column("audit_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("berita_acara") as table:
        table.drop_column("audit_hash")
        table.drop_column("audit_seq")
    op.drop_table("audit_head")
    op.drop_table("audit_record")
