"""city profile: the certificate and report signer, kept by admins

Revision ID: c16a00000006
Revises: c16a00000005
Create Date: 2026-12-03 12:05:00

Certificates printed the office's title twice (as title and as name) because the signer
was only a setting that nobody set. Admins now keep the signer's name, NIP and title in
the app; empty fields fall back to the CAKAP_SIGNER_* settings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c16a00000006'
down_revision: str | Sequence[str] | None = 'c16a00000005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "city_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=True),
        sa.Column("signer_nip", sa.String(length=18), nullable=True),
        sa.Column("signer_title", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_city_profile_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_profile")),
    )


def downgrade() -> None:
    op.drop_table("city_profile")
