"""Cover sheets printed: which ids, by whom, when — to reconcile batches against them.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coversheet_print",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("printed_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("register_ids", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("coversheet_print")
