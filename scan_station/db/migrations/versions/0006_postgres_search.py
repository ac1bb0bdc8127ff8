"""Full-text search on PostgreSQL: one row per filed page, as SQLite's FTS5 table holds it.

The text is indexed with the 'simple' configuration (no English stemming): the Indonesian stems
(Sastrawi) are made by Scan Station and stored beside the text, as on SQLite. Register fields
weigh most (A), then the OCR text (B), then the stems (C).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has its FTS5 table (0001)
    op.create_table(
        "page_search",
        sa.Column("document_id", sa.Integer, sa.ForeignKey("document.id"), primary_key=True),
        sa.Column("page", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("meta", sa.Text, nullable=False),
        sa.Column("stems", sa.Text, nullable=False),
    )
    op.execute(
        "ALTER TABLE page_search ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple', meta), 'A') || setweight(to_tsvector('simple', text), 'B') || "
        "setweight(to_tsvector('simple', stems), 'C')) STORED"
    )
    op.execute("CREATE INDEX page_search_tsv ON page_search USING GIN (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("page_search")
