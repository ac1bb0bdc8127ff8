"""A user's NIP (Nomor Induk Pegawai, 18 digits; empty for staff who have none), printed under
their name on the berita acara; kept on a request for access too, for the user it would add.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("user_account", "access_request"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("nip", sa.String(18), nullable=False, server_default=""))


def downgrade() -> None:
    for table in ("user_account", "access_request"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("nip")
