"""quiz key views: who saw a quiz's answer key (they may not sit it)

Revision ID: c15a00000001
Revises: bcc896c5f02d
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c15a00000001'
down_revision: str | Sequence[str] | None = 'bcc896c5f02d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: users/enrolments/certificates are not recreated (their triggers stay).
    op.create_table(
        'quiz_key_views',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('quiz_id', sa.Integer(), nullable=False),
        sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['quiz_id'], ['course_quizzes.id'], name=op.f('fk_quiz_key_views_quiz_id_course_quizzes')
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_quiz_key_views_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('user_id', 'quiz_id', name=op.f('pk_quiz_key_views')),
    )


def downgrade() -> None:
    op.drop_table('quiz_key_views')
