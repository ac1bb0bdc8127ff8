"""Who confirmed a batch at the kiosk; a flatbed preset for text.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch") as batch:
        batch.add_column(sa.Column("submitted_by", sa.String(64), nullable=False, server_default=""))
    profiles = sa.table("scan_profile", sa.column("name", sa.String), sa.column("source", sa.String),
                        sa.column("mode", sa.String), sa.column("resolution", sa.Integer),
                        sa.column("page_size", sa.String))
    op.bulk_insert(profiles, [{"name": "Teks abu-abu 300 dpi, kaca", "source": "flatbed", "mode": "gray",
                               "resolution": 300, "page_size": "A4"}])


def downgrade() -> None:
    op.execute("DELETE FROM scan_profile WHERE name = 'Teks abu-abu 300 dpi, kaca'")
    with op.batch_alter_table("batch") as batch:
        batch.drop_column("submitted_by")
