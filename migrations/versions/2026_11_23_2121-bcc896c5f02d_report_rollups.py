"""report rollups: pre-aggregated dashboard figures kept exact by triggers

Revision ID: bcc896c5f02d
Revises: ce8244155755
Create Date: 2026-11-23 21:21:45.312422

Triggers on enrolments, certificates and users mark the (OPD, course) pairs a change
touches in report_dirty; app/reports/rollups.py recomputes dirty pairs before the rollups
are read. They catch bulk Core inserts and updates too (the importer, bench/gen_data.py).

SQLite drops a table's triggers with the table: a later migration that recreates users,
enrolments or certificates (batch "move and copy") must create these triggers again —
tests/test_reports_rollups.py checks they exist at head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = 'bcc896c5f02d'
down_revision: str | Sequence[str] | None = 'ce8244155755'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What counts as a change, per table (columns the rollups read, directly or as keys).
ENROLMENT_COLUMNS = ("status", "completed_at", "final_score", "enrolled_at", "user_id", "course_id")
CERTIFICATE_COLUMNS = ("revoked_at", "jp", "course_id", "user_id")
USER_COLUMNS = ("opd_id", "employment_status", "active")


def _mark(pairs: str) -> str:
    """Upsert every (opd_id, course_id) of `pairs` into report_dirty, bumping seq.

    Ordered, so two PostgreSQL transactions marking the same pairs lock them in the same
    order (no deadlock); the WHERE also settles SQLite's upsert parsing ambiguity."""
    return (
        "INSERT INTO report_dirty (opd_id, course_id, seq) "
        f"SELECT DISTINCT opd_id, course_id, 1 FROM ({pairs}) AS pairs "
        "WHERE opd_id IS NOT NULL ORDER BY opd_id, course_id "
        "ON CONFLICT (opd_id, course_id) DO UPDATE SET seq = report_dirty.seq + 1"
    )


def _pair_of(row: str) -> str:
    """The (OPD of the row's user, the row's course)."""
    return f"SELECT opd_id, {row}.course_id AS course_id FROM users WHERE id = {row}.user_id"


def _courses_of(user_id: str) -> str:
    return (
        f"SELECT course_id FROM enrolments WHERE user_id = {user_id} "
        f"UNION SELECT course_id FROM certificates WHERE user_id = {user_id}"
    )


def _changed(columns: tuple[str, ...], distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


USER_UPDATE_PAIRS = (
    "SELECT o.opd_id, c.course_id FROM (SELECT OLD.opd_id AS opd_id UNION SELECT NEW.opd_id) "
    f"AS o CROSS JOIN ({_courses_of('NEW.id')}) AS c"
)
USER_DELETE_PAIRS = f"SELECT OLD.opd_id AS opd_id, c.course_id FROM ({_courses_of('OLD.id')}) AS c"


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, columns in (("enrolments", ENROLMENT_COLUMNS), ("certificates", CERTIFICATE_COLUMNS)):
        statements += [
            f"CREATE TRIGGER report_dirty_{table}_insert AFTER INSERT ON {table} "
            f"BEGIN {_mark(_pair_of('NEW'))}; END",
            f"CREATE TRIGGER report_dirty_{table}_delete AFTER DELETE ON {table} "
            f"BEGIN {_mark(_pair_of('OLD'))}; END",
            f"CREATE TRIGGER report_dirty_{table}_update AFTER UPDATE OF {', '.join(columns)} "
            f"ON {table} WHEN {_changed(columns, 'IS NOT')} "
            f"BEGIN {_mark(_pair_of('OLD') + ' UNION ' + _pair_of('NEW'))}; END",
        ]
    statements += [
        f"CREATE TRIGGER report_dirty_users_update AFTER UPDATE OF {', '.join(USER_COLUMNS)} "
        f"ON users WHEN {_changed(USER_COLUMNS, 'IS NOT')} "
        f"BEGIN {_mark(USER_UPDATE_PAIRS)}; END",
        # Before: the user's enrolments are still there (they go with the user, by cascade).
        f"CREATE TRIGGER report_dirty_users_delete BEFORE DELETE ON users "
        f"BEGIN {_mark(USER_DELETE_PAIRS)}; END",
    ]
    return statements


SQLITE = _sqlite_triggers()
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS report_dirty_{name}"
    for name in (
        *(f"{t}_{op}" for t in ("enrolments", "certificates") for op in ("insert", "delete", "update")),
        "users_update",
        "users_delete",
    )
]

# PostgreSQL: bulk INSERT and DELETE are handled once per statement through a transition
# table (one upsert per distinct pair, not one per row: bench/gen_data.py inserts 2
# million enrolments); UPDATE per row, so the column list and WHEN clause skip the
# frequent updates the rollups do not care about (progress, last activity).
POSTGRESQL = [
    "CREATE FUNCTION report_dirty_mark_rows() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {_mark('SELECT u.opd_id, r.course_id FROM changed_rows r JOIN users u ON u.id = r.user_id')}; "
    "RETURN NULL; END $$",
    "CREATE FUNCTION report_dirty_mark_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {_mark(_pair_of('OLD') + ' UNION ' + _pair_of('NEW'))}; RETURN NULL; END $$",
    "CREATE FUNCTION report_dirty_mark_user() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF TG_OP = 'DELETE' THEN "
    f"{_mark(USER_DELETE_PAIRS)}; "
    f"ELSE {_mark(USER_UPDATE_PAIRS)}; END IF; "
    "RETURN OLD; END $$",
]
for _table, _columns in (("enrolments", ENROLMENT_COLUMNS), ("certificates", CERTIFICATE_COLUMNS)):
    POSTGRESQL += [
        f"CREATE TRIGGER report_dirty_{_table}_insert AFTER INSERT ON {_table} "
        "REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION report_dirty_mark_rows()",
        f"CREATE TRIGGER report_dirty_{_table}_delete AFTER DELETE ON {_table} "
        "REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION report_dirty_mark_rows()",
        f"CREATE TRIGGER report_dirty_{_table}_update AFTER UPDATE OF {', '.join(_columns)} "
        f"ON {_table} FOR EACH ROW WHEN ({_changed(_columns, 'IS DISTINCT FROM')}) "
        "EXECUTE FUNCTION report_dirty_mark_update()",
    ]
POSTGRESQL += [
    f"CREATE TRIGGER report_dirty_users_update AFTER UPDATE OF {', '.join(USER_COLUMNS)} "
    f"ON users FOR EACH ROW WHEN ({_changed(USER_COLUMNS, 'IS DISTINCT FROM')}) "
    "EXECUTE FUNCTION report_dirty_mark_user()",
    # Before: the user's enrolments are still there (they go with the user, by cascade).
    "CREATE TRIGGER report_dirty_users_delete BEFORE DELETE ON users "
    "FOR EACH ROW EXECUTE FUNCTION report_dirty_mark_user()",
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS report_dirty_{name.split('.')[1]} ON {name.split('.')[0]}"
    for name in (
        *(f"{t}.{t}_{op}" for t in ("enrolments", "certificates") for op in ("insert", "delete", "update")),
        "users.users_update",
        "users.users_delete",
    )
] + [
    f"DROP FUNCTION IF EXISTS {f}()"
    for f in ("report_dirty_mark_rows", "report_dirty_mark_update", "report_dirty_mark_user")
]


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('report_dirty',
    sa.Column('opd_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('course_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('opd_id', 'course_id', name=op.f('pk_report_dirty'))
    )
    op.create_table('report_rollups',
    sa.Column('opd_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('course_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('employment_status', sa.String(length=16), nullable=False),
    sa.Column('enrolled', sa.Integer(), nullable=False),
    sa.Column('in_progress', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.Column('score_count', sa.Integer(), nullable=False),
    sa.Column('certificates', sa.Integer(), nullable=False),
    sa.Column('jp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('opd_id', 'course_id', 'employment_status', name=op.f('pk_report_rollups'))
    )
    op.create_table('report_week_rollups',
    sa.Column('opd_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('course_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('employment_status', sa.String(length=16), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('opd_id', 'course_id', 'employment_status', 'week_start', name=op.f('pk_report_week_rollups'))
    )
    with op.batch_alter_table('report_week_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_report_week_rollups_week', ['week_start', 'opd_id', 'course_id', 'employment_status', 'completions'], unique=False)

    # ### end Alembic commands ###
    bind = op.get_bind()
    for statement in POSTGRESQL if bind.dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    # Rows that exist already: every pair they touch starts dirty, so the first report
    # read builds the rollups (one full rebuild) instead of this migration.
    op.execute(
        "INSERT INTO report_dirty (opd_id, course_id, seq) "
        "SELECT u.opd_id, e.course_id, 1 FROM enrolments e JOIN users u ON u.id = e.user_id "
        "WHERE u.opd_id IS NOT NULL "
        "UNION "
        "SELECT u.opd_id, c.course_id, 1 FROM certificates c JOIN users u ON u.id = c.user_id "
        "WHERE u.opd_id IS NOT NULL"
    )


def downgrade() -> None:
    bind = op.get_bind()
    for statement in POSTGRESQL_DROP if bind.dialect.name == "postgresql" else SQLITE_DROP:
        op.execute(statement)
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('report_week_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_report_week_rollups_week')

    op.drop_table('report_week_rollups')
    op.drop_table('report_rollups')
    op.drop_table('report_dirty')
    # ### end Alembic commands ###
