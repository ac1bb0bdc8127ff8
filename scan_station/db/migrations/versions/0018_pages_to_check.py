"""The pages of a filed document the officer should look at (`page_checks`): unreadable, maybe
blank, skewed, cut off, much darker or lighter than the batch, page numbers that skip or repeat.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("pages_to_check", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("pages_to_check")
