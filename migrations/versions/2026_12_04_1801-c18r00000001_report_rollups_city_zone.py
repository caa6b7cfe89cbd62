"""report rollups in the city's time zone, recorded in report_timezone

Revision ID: c18r00000001
Revises: c16a00000008
Create Date: 2026-12-04 18:01:00

The week, quarter and year rollups of bcc896c5f02d were Asia/Jakarta, written into the
triggers. They are now in the zone recorded in the new one-row table `report_timezone` —
CAKAP_TIMEZONE when this migration runs — and the triggers read it from there, so
`cakap report rollups --rebuild` moves the rollups to another zone without new triggers,
and the triggers never count in another zone than the one recorded.

The triggers come from app/reports/triggers.py with the figures frozen here; every rollup
row is recomputed (~15 s at 100,000 ASN on SQLite).
"""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from app import citytime
from app.reports import triggers
from app.reports.triggers import Delta

revision: str = 'c18r00000001'
down_revision: str | Sequence[str] | None = 'c16a00000008'
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
CERTIFICATE_FIGURES = (Delta("certificates", "1"), Delta("jp", "jp"))


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in triggers.drop(dialect):
        op.execute(statement)
    op.create_table(
        'report_timezone',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('utc_offset_minutes', sa.Integer(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_report_timezone_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_timezone')),
    )
    zone = citytime.name()
    offset = datetime(2026, 1, 1, tzinfo=ZoneInfo(zone)).utcoffset()
    op.get_bind().execute(
        sa.text("INSERT INTO report_timezone (id, name, utc_offset_minutes) VALUES (1, :n, :m)"),
        {"n": zone, "m": int(offset.total_seconds() // 60)},
    )
    for statement in triggers.install(dialect, ENROLMENT_FIGURES, CERTIFICATE_FIGURES):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in triggers.drop(dialect):
        op.execute(statement)
    op.drop_table('report_timezone')
    for statement in triggers.install(
        dialect, ENROLMENT_FIGURES, CERTIFICATE_FIGURES, fixed_zone="Asia/Jakarta"
    ):
        op.execute(statement)
