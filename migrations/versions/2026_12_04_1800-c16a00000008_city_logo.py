"""city logo: printed on certificates and report PDFs

Revision ID: c16a00000008
Revises: c16a00000007
Create Date: 2026-12-04 18:00:00

Kept in the database (a small re-encoded PNG and its digest) rather than in a file, so
that every app server of a city prints the same logo.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c16a00000008'
down_revision: str | Sequence[str] | None = 'c16a00000007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("city_profile") as batch:
        batch.add_column(sa.Column("logo_png", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("logo_digest", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("city_profile") as batch:
        batch.drop_column("logo_digest")
        batch.drop_column("logo_png")
