"""Initial schema: register, batches, documents, pages, held pages; SQLite FTS5 page index.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "id_sequence",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "entry",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("responsible", sa.String(200), nullable=False),
        sa.Column("created_date", sa.Date, nullable=True),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("retention", sa.String(200), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("classification", sa.String(40), nullable=False),
        sa.Column("number", sa.String(120), nullable=False),
        sa.Column("hardcopy_location", sa.String(200), nullable=False),
        sa.Column("registered_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "batch",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("raw_dir", sa.Text, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("page_count", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("blank_pages", sa.JSON, nullable=False),
    )
    op.create_table(
        "document",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("register_id", sa.String(64), sa.ForeignKey("entry.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("batch_id", sa.String(40), sa.ForeignKey("batch.id"), nullable=False),
        sa.Column("batch_pages", sa.JSON, nullable=False),
        sa.Column("page_count", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sidecar_path", sa.Text, nullable=False),
        sa.Column("sidecar_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("filed_at", TZ, nullable=False),
        sa.UniqueConstraint("register_id", "version"),
    )
    op.create_table(
        "document_page",
        sa.Column("document_id", sa.Integer, sa.ForeignKey("document.id"), primary_key=True),
        sa.Column("page", sa.Integer, primary_key=True),
        sa.Column("batch_page", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "held_pages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(40), sa.ForeignKey("batch.id"), nullable=False, index=True),
        sa.Column("batch_pages", sa.JSON, nullable=False),
        sa.Column("cover_page", sa.Integer, nullable=True),
        sa.Column("register_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # One row per filed page: the OCR text, the register fields, and the stems of both
        # (Indonesian stemmer) so that "dokumentasi" finds "pendokumentasian".
        op.execute(
            "CREATE VIRTUAL TABLE page_fts USING fts5("
            "text, meta, stems, document_id UNINDEXED, page UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE page_fts")
    for table in ("held_pages", "document_page", "document", "batch", "entry", "id_sequence"):
        op.drop_table(table)
