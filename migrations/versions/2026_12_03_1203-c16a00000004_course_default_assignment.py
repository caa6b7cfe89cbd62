"""course default assignment: rules kept by the course sync, due dates counted from the TMT

Revision ID: c16a00000004
Revises: c15a00000003
Create Date: 2026-12-03 12:03:00

A course file's `assign:` block (e.g. the orientation course for every CPNS) becomes an
assignment rule with `course_default` set; `due_from` says whether its due date counts
from the assignment or from the person's TMT. assignment_rules carries no report triggers,
so adding columns is safe on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c16a00000004'
down_revision: str | Sequence[str] | None = 'c15a00000003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assignment_rules") as batch:
        batch.add_column(
            sa.Column("due_from", sa.String(length=16), server_default="assigned", nullable=False)
        )
        batch.add_column(
            sa.Column("course_default", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("assignment_rules") as batch:
        batch.drop_column("course_default")
        batch.drop_column("due_from")
