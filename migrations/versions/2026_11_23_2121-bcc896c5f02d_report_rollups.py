"""report rollups: pre-aggregated dashboard figures kept exact by triggers

Revision ID: bcc896c5f02d
Revises: ce8244155755
Create Date: 2026-11-23 21:21:45.312422

Triggers on enrolments, certificates and users add each change's contribution to
report_rollups, report_week_rollups, report_jp_rollups and report_person_jp (what the old
row counted, subtracted; what the new row counts, added) in the same transaction, so the rollups equal a fresh GROUP BY at
any moment — bulk Core inserts and updates included (the importer, bench/gen_data.py).
The same figures, computed from scratch, are app/reports/rollups.py's rebuild; this
migration fills the rollups with that computation for the rows already there.

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

# Columns whose change can change a figure, per table.
ENROLMENT_COLUMNS = ("status", "completed_at", "final_score", "user_id", "course_id")
CERTIFICATE_COLUMNS = ("revoked_at", "jp", "issued_at", "user_id", "course_id")
USER_COLUMNS = ("opd_id", "employment_status", "active")
ROLLUP_FIGURES = (
    "enrolled",
    "in_progress",
    "completed",
    "score_cents",
    "score_count",
    "certificates",
    "jp",
)


def _cents(expr: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"round({expr} * 100)::bigint"
    return f"CAST(round({expr} * 100) AS INTEGER)"


def _jakarta(expr: str) -> str:
    """SQLite: the stored UTC text without its fraction, and the modifier to Jakarta."""
    return f"substr({expr}, 1, 19), '+7 hours'"


def _quarter(expr: str, dialect: str) -> str:
    """First day of the quarter (triwulan) in Asia/Jakarta."""
    if dialect == "postgresql":
        return f"date_trunc('quarter', {expr} AT TIME ZONE 'Asia/Jakarta')::date"
    local = _jakarta(expr)
    return (
        f"printf('%04d-%02d-01', CAST(strftime('%Y', {local}) AS INTEGER), "
        f"(CAST(strftime('%m', {local}) AS INTEGER) - 1) / 3 * 3 + 1)"
    )


def _year(expr: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"extract(year FROM {expr} AT TIME ZONE 'Asia/Jakarta')::integer"
    return f"CAST(strftime('%Y', {_jakarta(expr)}) AS INTEGER)"


def _week(expr: str, dialect: str) -> str:
    """Monday of the week in Asia/Jakarta. SQLite: the stored UTC text without its
    fraction (date() rounds to milliseconds, which would push 23:59:59.9999 into the next
    day); Jakarta has been UTC+7 without daylight saving since 1964."""
    if dialect == "postgresql":
        return f"date_trunc('week', {expr} AT TIME ZONE 'Asia/Jakarta')::date"
    return f"date(substr({expr}, 1, 19), '+7 hours', 'weekday 0', '-6 days')"


# Contributions. Each source lists rows with the person's (opd_id, employment_status,
# active) and a sign: +1 for a row as it is now, -1 for a row as it was. Summed per key
# first, so one statement touches a key once (PostgreSQL's ON CONFLICT requires it) and
# in key order (two transactions lock shared keys in the same order: no deadlock).
# The WHERE also settles SQLite's upsert parsing ambiguity.
_COUNTED = "WHERE active AND opd_id IS NOT NULL"
_KEY = "opd_id, course_id, employment_status"


def _upsert_rollup() -> str:
    return f"ON CONFLICT ({_KEY}) DO UPDATE SET " + ", ".join(
        f"{c} = report_rollups.{c} + excluded.{c}" for c in ROLLUP_FIGURES
    )


def enrolment_deltas(source: str, dialect: str) -> list[str]:
    """Apply the enrolment rows of `source` (opd_id, employment_status, active, course_id,
    status, completed_at, final_score, sign) to both rollup tables."""
    scored = "status = 'completed' AND final_score IS NOT NULL"
    week = _week("completed_at", dialect)
    return [
        f"INSERT INTO report_rollups ({_KEY}, {', '.join(ROLLUP_FIGURES)}) "
        f"SELECT {_KEY}, sum(sign), "
        "sum(CASE WHEN status = 'in_progress' THEN sign ELSE 0 END), "
        "sum(CASE WHEN status = 'completed' THEN sign ELSE 0 END), "
        f"sum(CASE WHEN {scored} THEN sign * {_cents('final_score', dialect)} ELSE 0 END), "
        f"sum(CASE WHEN {scored} THEN sign ELSE 0 END), 0, 0 "
        f"FROM ({source}) AS d {_COUNTED} "
        f"GROUP BY {_KEY} ORDER BY {_KEY} {_upsert_rollup()}",
        f"INSERT INTO report_week_rollups ({_KEY}, week_start, completions) "
        f"SELECT {_KEY}, {week}, sum(sign) "
        f"FROM ({source}) AS d {_COUNTED} AND completed_at IS NOT NULL "
        f"GROUP BY {_KEY}, {week} ORDER BY {_KEY}, {week} "
        f"ON CONFLICT ({_KEY}, week_start) DO UPDATE SET "
        "completions = report_week_rollups.completions + excluded.completions",
    ]


def certificate_deltas(source: str, dialect: str, *, per_person: bool = True) -> list[str]:
    """Apply the certificate rows of `source` (opd_id, employment_status, active,
    course_id, revoked_at, jp, issued_at, user_id, sign) to the rollups. `per_person`:
    also to report_person_jp, which does not depend on the person's OPD or status (so a
    person's change leaves it alone)."""
    quarter = _quarter("issued_at", dialect)
    year = _year("issued_at", dialect)
    valid = f"{_COUNTED} AND revoked_at IS NULL"
    statements = [
        f"INSERT INTO report_rollups ({_KEY}, {', '.join(ROLLUP_FIGURES)}) "
        f"SELECT {_KEY}, 0, 0, 0, 0, 0, sum(sign), sum(sign * jp) "
        f"FROM ({source}) AS d {valid} "
        f"GROUP BY {_KEY} ORDER BY {_KEY} {_upsert_rollup()}",
        f"INSERT INTO report_jp_rollups ({_KEY}, quarter_start, certificates, jp) "
        f"SELECT {_KEY}, {quarter}, sum(sign), sum(sign * jp) "
        f"FROM ({source}) AS d {valid} "
        f"GROUP BY {_KEY}, {quarter} ORDER BY {_KEY}, {quarter} "
        f"ON CONFLICT ({_KEY}, quarter_start) DO UPDATE SET "
        "certificates = report_jp_rollups.certificates + excluded.certificates, "
        "jp = report_jp_rollups.jp + excluded.jp",
    ]
    if per_person:
        statements.append(
            "INSERT INTO report_person_jp (user_id, year, jp) "
            f"SELECT user_id, {year}, sum(sign * jp) "
            f"FROM ({source}) AS d WHERE revoked_at IS NULL "
            f"GROUP BY user_id, {year} ORDER BY user_id, {year} "
            "ON CONFLICT (user_id, year) DO UPDATE SET jp = report_person_jp.jp + excluded.jp"
        )
    return statements


ENROLMENT_FIELDS = ("course_id", "status", "completed_at", "final_score")
CERTIFICATE_FIELDS = ("course_id", "revoked_at", "jp", "issued_at", "user_id")
PERSON = "u.opd_id AS opd_id, u.employment_status AS employment_status, u.active AS active"


def _row(fields: tuple[str, ...], row: str, sign: str) -> str:
    """A changed row with its person, as the person is now."""
    values = ", ".join(f"{row}.{f} AS {f}" for f in fields)
    return f"SELECT {PERSON}, {values}, {sign} AS sign FROM users u WHERE u.id = {row}.user_id"


def _persons_rows(table: str, fields: tuple[str, ...], person: str, sign: str) -> str:
    """Every row of `table` of a person whose OPD, status or activity changed, as counted
    under the person's old (OLD) or new (NEW) values."""
    values = ", ".join(f"r.{f} AS {f}" for f in fields)
    return (
        f"SELECT {person}.opd_id AS opd_id, {person}.employment_status AS employment_status, "
        f"{person}.active AS active, {values}, {sign} AS sign "
        f"FROM {table} r WHERE r.user_id = {person}.id"
    )


def _person_change(dialect: str, *, old: bool, new: bool) -> list[str]:
    enrolments = []
    certificates = []
    if old:
        enrolments.append(_persons_rows("enrolments", ENROLMENT_FIELDS, "OLD", "-1"))
        certificates.append(_persons_rows("certificates", CERTIFICATE_FIELDS, "OLD", "-1"))
    if new:
        enrolments.append(_persons_rows("enrolments", ENROLMENT_FIELDS, "NEW", "1"))
        certificates.append(_persons_rows("certificates", CERTIFICATE_FIELDS, "NEW", "1"))
    return enrolment_deltas(" UNION ALL ".join(enrolments), dialect) + certificate_deltas(
        " UNION ALL ".join(certificates), dialect, per_person=False
    )


def _changed(columns: tuple[str, ...], distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


def _row_change(table: str, dialect: str, *, old: bool, new: bool) -> list[str]:
    fields = ENROLMENT_FIELDS if table == "enrolments" else CERTIFICATE_FIELDS
    parts = ([_row(fields, "OLD", "-1")] if old else []) + (
        [_row(fields, "NEW", "1")] if new else []
    )
    source = " UNION ALL ".join(parts)
    if table == "enrolments":
        return enrolment_deltas(source, dialect)
    return certificate_deltas(source, dialect)


TABLES = {"enrolments": ENROLMENT_COLUMNS, "certificates": CERTIFICATE_COLUMNS}
TRIGGERS = [
    *(f"report_rollups_{t}_{op}" for t in TABLES for op in ("insert", "delete", "update")),
    "report_rollups_users_update",
    "report_rollups_users_delete",
]


def _sqlite() -> list[str]:
    def trigger(name: str, when: str, statements: list[str]) -> str:
        return f"CREATE TRIGGER {name} {when} BEGIN " + "; ".join(statements) + "; END"

    out = []
    for table, columns in TABLES.items():
        out += [
            trigger(
                f"report_rollups_{table}_insert",
                f"AFTER INSERT ON {table}",
                _row_change(table, "sqlite", old=False, new=True),
            ),
            trigger(
                f"report_rollups_{table}_delete",
                f"AFTER DELETE ON {table}",
                _row_change(table, "sqlite", old=True, new=False),
            ),
            trigger(
                f"report_rollups_{table}_update",
                f"AFTER UPDATE OF {', '.join(columns)} ON {table} "
                f"WHEN {_changed(columns, 'IS NOT')}",
                _row_change(table, "sqlite", old=True, new=True),
            ),
        ]
    out += [
        trigger(
            "report_rollups_users_update",
            f"AFTER UPDATE OF {', '.join(USER_COLUMNS)} ON users "
            f"WHEN {_changed(USER_COLUMNS, 'IS NOT')}",
            _person_change("sqlite", old=True, new=True),
        ),
        # Before: the person's rows are still there. Enrolments then go by cascade, after
        # the person, so their own delete trigger finds no person and subtracts nothing.
        trigger(
            "report_rollups_users_delete",
            "BEFORE DELETE ON users",
            _person_change("sqlite", old=True, new=False),
        ),
    ]
    return out


def _postgresql() -> list[str]:
    """Bulk INSERT and DELETE are applied once per statement from a transition table (one
    GROUP BY for 10,000 generated rows, not 10,000 upserts); UPDATE per row, so the column
    list and WHEN clause skip the frequent updates no figure depends on (progress).

    An enrolment or certificate change share-locks its person first. Without it, a person
    moved to another OPD while one of their enrolments changes (two transactions) would
    each count the other's state from before it: the move subtracts the enrolment as it
    was from the old OPD while the enrolment's change lands on the old OPD too. With the
    lock the later of the two waits and then sees the other's result (each statement of a
    trigger function reads the latest committed data). SQLite has one writer at a time.
    """

    def function(name: str, body: list[str], result: str = "NULL") -> str:
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            + "; ".join(body)
            + f"; RETURN {result}; END $$"
        )

    sign = "CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END"
    out = []
    for table, columns in TABLES.items():
        fields = ENROLMENT_FIELDS if table == "enrolments" else CERTIFICATE_FIELDS
        values = ", ".join(f"r.{f} AS {f}" for f in fields)
        bulk = (
            f"SELECT {PERSON}, {values}, {sign} AS sign "
            "FROM changed_rows r JOIN users u ON u.id = r.user_id"
        )
        deltas = (
            enrolment_deltas(bulk, "postgresql")
            if table == "enrolments"
            else certificate_deltas(bulk, "postgresql")
        )
        lock_people = (
            "PERFORM 1 FROM users WHERE id IN (SELECT user_id FROM changed_rows) "
            "ORDER BY id FOR SHARE"
        )
        lock_person = "PERFORM 1 FROM users WHERE id IN (OLD.user_id, NEW.user_id) ORDER BY id FOR SHARE"
        out += [
            function(f"report_rollups_{table}_rows", [lock_people, *deltas]),
            function(
                f"report_rollups_{table}_row",
                [lock_person, *_row_change(table, "postgresql", old=True, new=True)],
            ),
            f"CREATE TRIGGER report_rollups_{table}_insert AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION report_rollups_{table}_rows()",
            f"CREATE TRIGGER report_rollups_{table}_delete AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION report_rollups_{table}_rows()",
            f"CREATE TRIGGER report_rollups_{table}_update "
            f"AFTER UPDATE OF {', '.join(columns)} ON {table} FOR EACH ROW "
            f"WHEN ({_changed(columns, 'IS DISTINCT FROM')}) "
            f"EXECUTE FUNCTION report_rollups_{table}_row()",
        ]
    out += [
        function(
            "report_rollups_user_row",
            [
                "IF TG_OP = 'DELETE' THEN "
                + "; ".join(_person_change("postgresql", old=True, new=False))
                + "; ELSE "
                + "; ".join(_person_change("postgresql", old=True, new=True))
                + "; END IF"
            ],
            result="OLD",
        ),
        f"CREATE TRIGGER report_rollups_users_update AFTER UPDATE OF {', '.join(USER_COLUMNS)} "
        f"ON users FOR EACH ROW WHEN ({_changed(USER_COLUMNS, 'IS DISTINCT FROM')}) "
        "EXECUTE FUNCTION report_rollups_user_row()",
        # Before: the person's rows are still there (enrolments go by cascade, after).
        "CREATE TRIGGER report_rollups_users_delete BEFORE DELETE ON users FOR EACH ROW "
        "EXECUTE FUNCTION report_rollups_user_row()",
    ]
    return out


def _drop(dialect: str) -> list[str]:
    if dialect == "postgresql":
        tables = {name: name.split("_")[2] for name in TRIGGERS}
        return [f"DROP TRIGGER IF EXISTS {name} ON {tables[name]}" for name in TRIGGERS] + [
            f"DROP FUNCTION IF EXISTS {name}()"
            for name in (
                "report_rollups_enrolments_rows",
                "report_rollups_enrolments_row",
                "report_rollups_certificates_rows",
                "report_rollups_certificates_row",
                "report_rollups_user_row",
            )
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]


def _fill(dialect: str) -> list[str]:
    """The rollups of the rows already there: every row counted once, with sign +1."""
    people = "JOIN users u ON u.id = r.user_id"
    enrolments = ", ".join(f"r.{f} AS {f}" for f in ENROLMENT_FIELDS)
    certificates = ", ".join(f"r.{f} AS {f}" for f in CERTIFICATE_FIELDS)
    return enrolment_deltas(
        f"SELECT {PERSON}, {enrolments}, 1 AS sign FROM enrolments r {people}", dialect
    ) + certificate_deltas(
        f"SELECT {PERSON}, {certificates}, 1 AS sign FROM certificates r {people}", dialect
    )


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('report_rollups',
    sa.Column('opd_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('course_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('employment_status', sa.String(length=16), nullable=False),
    sa.Column('enrolled', sa.Integer(), nullable=False),
    sa.Column('in_progress', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('score_cents', sa.BigInteger(), nullable=False),
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

    op.create_table('report_jp_rollups',
    sa.Column('opd_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('course_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('employment_status', sa.String(length=16), nullable=False),
    sa.Column('quarter_start', sa.Date(), nullable=False),
    sa.Column('certificates', sa.Integer(), nullable=False),
    sa.Column('jp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('opd_id', 'course_id', 'employment_status', 'quarter_start', name=op.f('pk_report_jp_rollups'))
    )
    with op.batch_alter_table('report_jp_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_report_jp_rollups_quarter', ['quarter_start', 'employment_status', 'opd_id', 'course_id', 'certificates', 'jp'], unique=False)

    op.create_table('report_person_jp',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('jp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'year', name=op.f('pk_report_person_jp'))
    )
    with op.batch_alter_table('report_person_jp', schema=None) as batch_op:
        batch_op.create_index('ix_report_person_jp_year', ['year', 'jp', 'user_id'], unique=False)

    # ### end Alembic commands ###
    dialect = op.get_bind().dialect.name
    for statement in _fill(dialect):
        op.execute(statement)
    for statement in _postgresql() if dialect == "postgresql" else _sqlite():
        op.execute(statement)


def downgrade() -> None:
    for statement in _drop(op.get_bind().dialect.name):
        op.execute(statement)
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('report_person_jp', schema=None) as batch_op:
        batch_op.drop_index('ix_report_person_jp_year')

    op.drop_table('report_person_jp')
    with op.batch_alter_table('report_jp_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_report_jp_rollups_quarter')

    op.drop_table('report_jp_rollups')
    with op.batch_alter_table('report_week_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_report_week_rollups_week')

    op.drop_table('report_week_rollups')
    op.drop_table('report_rollups')
    # ### end Alembic commands ###
