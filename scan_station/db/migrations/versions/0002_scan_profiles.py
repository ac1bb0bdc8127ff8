"""Scan profiles: named scanner settings, with the kiosk's presets.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PRESETS = [
    {
        "name": "Teks hitam-putih 300 dpi, ADF dupleks",
        "source": "adf-duplex",
        "mode": "lineart",
        "resolution": 300,
        "page_size": "A4",
    },
    {"name": "Teks abu-abu 300 dpi, ADF", "source": "adf", "mode": "gray", "resolution": 300, "page_size": "A4"},
    {"name": "Foto warna 200 dpi, kaca", "source": "flatbed", "mode": "color", "resolution": 200, "page_size": "A4"},
]


def upgrade() -> None:
    table = op.create_table(
        "scan_profile",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("resolution", sa.Integer, nullable=False),
        sa.Column("page_size", sa.String(20), nullable=False),
    )
    op.bulk_insert(table, PRESETS)


def downgrade() -> None:
    op.drop_table("scan_profile")
