"""activation codes kept: sealed codes for re-downloading lists, replaced codes marked

Revision ID: c16a00000005
Revises: c16a00000004
Create Date: 2026-12-03 12:04:00

Downloading an OPD's activation list used to issue new codes for everyone, so a list
printed earlier stopped working without anyone noticing. Codes are now also stored sealed
(encrypted with the instance secret) so every download shows the same codes, and a code
that a newer one replaced says so. Existing codes have no sealed copy: they still work,
and a new list for those people is issued explicitly.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c16a00000005'
down_revision: str | Sequence[str] | None = 'c16a00000004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activation_codes") as batch:
        batch.add_column(sa.Column("sealed", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activation_codes") as batch:
        batch.drop_column("replaced_at")
        batch.drop_column("sealed")
