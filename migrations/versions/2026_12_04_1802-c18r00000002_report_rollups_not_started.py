"""report rollups: not_started, for the OPD summary's "Belum mulai" column

Revision ID: c18r00000002
Revises: c18r00000001
Create Date: 2026-12-04 18:02:00

A rollup delta, the recipe of docs/reports.md ("Adding a column"): the column on
report_rollups, its per-row delta in the triggers (app/reports/triggers.py, figures frozen
here), and every rollup row recomputed so the new column is filled for the rows already
there (~15 s at 100,000 ASN on SQLite).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.reports import triggers
from app.reports.triggers import Delta

revision: str = 'c18r00000002'
down_revision: str | Sequence[str] | None = 'c18r00000001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCORED = "status = 'completed' AND final_score IS NOT NULL"
ENROLMENT_FIGURES = (
    Delta("enrolled", "1"),
    Delta("in_progress", "CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END"),
    Delta("completed", "CASE WHEN status = 'completed' THEN 1 ELSE 0 END"),
    Delta(
        "score_cents",
        f"CASE WHEN {SCORED} THEN CAST(round(final_score * 100) AS BIGINT) ELSE 0 END",
    ),
    Delta("score_count", f"CASE WHEN {SCORED} THEN 1 ELSE 0 END"),
)
NOT_STARTED = Delta("not_started", "CASE WHEN status = 'enrolled' THEN 1 ELSE 0 END")
CERTIFICATE_FIGURES = (Delta("certificates", "1"), Delta("jp", "jp"))


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in triggers.drop(dialect):
        op.execute(statement)
    with op.batch_alter_table('report_rollups') as batch:
        batch.add_column(sa.Column('not_started', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('report_rollups') as batch:
        batch.alter_column('not_started', server_default=None)
    for statement in triggers.install(
        dialect, (*ENROLMENT_FIGURES, NOT_STARTED), CERTIFICATE_FIGURES
    ):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in triggers.drop(dialect):
        op.execute(statement)
    with op.batch_alter_table('report_rollups') as batch:
        batch.drop_column('not_started')
    for statement in triggers.install(dialect, ENROLMENT_FIGURES, CERTIFICATE_FIGURES):
        op.execute(statement)
