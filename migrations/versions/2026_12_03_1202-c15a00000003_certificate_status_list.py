"""certificate status list: a Bitstring Status List index per certificate

Revision ID: c15a00000003
Revises: c15a00000002
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = 'c15a00000003'
down_revision: str | Sequence[str] | None = 'c15a00000002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table, not a column on `certificates`: SQLite could only add a unique column by
    # recreating that table, which would drop its report-rollup triggers.
    op.create_table('certificate_status_entries',
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_status_entries_certificate_id_certificates')),
    sa.PrimaryKeyConstraint('status_index', name=op.f('pk_certificate_status_entries')),
    sa.UniqueConstraint('certificate_id', name=op.f('uq_certificate_status_entries_certificate_id')),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_certificate_status_entries_revoked', 'certificate_status_entries', ['revoked', 'status_index'], unique=False)
    # Certificates issued before this revision get their index now, in issuing order, and
    # the ones already revoked their bit.
    op.execute(
        'INSERT INTO certificate_status_entries (certificate_id, revoked) '
        'SELECT id, revoked_at IS NOT NULL FROM certificates ORDER BY id'
    )


def downgrade() -> None:
    op.drop_index('ix_certificate_status_entries_revoked', table_name='certificate_status_entries')
    op.drop_table('certificate_status_entries')
