"""The register entry a berita acara's signed paper is scanned back under.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("berita_acara") as table:
        table.add_column(sa.Column("register_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("berita_acara") as table:
        table.drop_column("register_id")
