"""quiz prerequisites: what must be finished before a quiz can be started

Revision ID: c16a00000007
Revises: c16a00000006
Create Date: 2026-12-03 12:06:00

The final exam could be started before any module was read. A course file's `requires`
on a quiz item is kept here by the course sync and enforced when an attempt starts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c16a00000007'
down_revision: str | Sequence[str] | None = 'c16a00000006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("course_quizzes") as batch:
        batch.add_column(sa.Column("requires", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("course_quizzes") as batch:
        batch.drop_column("requires")
