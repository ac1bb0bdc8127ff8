"""Each handover decision is also written into storage, next to the document's sidecar: its file
and SHA-256, so that `verify` checks it and `rebuild` can read the history back.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document_event") as table:
        table.add_column(sa.Column("path", sa.Text(), nullable=True))
        table.add_column(sa.Column("sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_event") as table:
        table.drop_column("sha256")
        table.drop_column("path")
