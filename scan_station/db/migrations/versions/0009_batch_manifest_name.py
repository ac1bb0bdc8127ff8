"""A batch filed again after a failure keeps its raw files and adds a manifest of its own.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch") as batch:
        batch.add_column(sa.Column("manifest_name", sa.String(40), nullable=False, server_default="batch.json"))


def downgrade() -> None:
    with op.batch_alter_table("batch") as batch:
        batch.drop_column("manifest_name")
