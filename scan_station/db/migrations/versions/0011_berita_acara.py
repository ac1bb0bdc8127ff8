"""Berita acara alih media: each one filed, numbered, never altered (a correction replaces it).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "berita_acara",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(120), nullable=False, unique=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("document_ids", sa.JSON, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("replaces", sa.String(120), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("berita_acara")
