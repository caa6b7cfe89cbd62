"""login throttle: attempts counted before the hash, per (account, address)

Revision ID: c15a00000002
Revises: c15a00000001
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = 'c15a00000002'
down_revision: str | Sequence[str] | None = 'c15a00000001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No schema change: login_attempts already has what the new throttle needs. A row is
    # now written before the hash (and removed again when the login succeeds), and the
    # per-(account, address) count is served by ix_login_attempts_account_at (an account
    # holds at most its ceiling of rows per window). Kept as a revision so the chain of
    # this round's migrations stays as planned.
    pass


def downgrade() -> None:
    pass
