"""The SQL of the rollup triggers (SQLite and PostgreSQL), for the migrations that install
them.

Triggers on enrolments, certificates and users add each change's contribution to
report_rollups, report_week_rollups, report_jp_rollups and report_person_jp (what the old
row counted, subtracted; what the new row counts, added) in the same transaction, so the
rollups equal a fresh GROUP BY at any moment — bulk Core inserts and updates included
(the importer, OPD merges, bench/gen_data.py). The same figures computed from scratch are
app/reports/rollups.py's.

Weeks, quarters and years are taken in the zone recorded in `report_timezone`, read by
the trigger itself, so changing the zone (`cakap report rollups --rebuild`) needs no new
triggers.

A migration passes the figures of its revision as `Delta`s, frozen in the migration: the
model and app/reports/columns.py move on, and a migration must go on creating what its
revision had. If this module's interface changes, copy the version an older migration
relies on into that migration.

SQLite drops a table's triggers with the table: a migration that recreates users,
enrolments or certificates (batch "move and copy") must create these triggers again —
tests/test_reports_rollups.py checks they exist at head.
"""

# ruff: noqa: S608 - SQL built from this module's constants and the migrations' frozen figures

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Delta:
    """One report_rollups figure: `per_row` is the SQL of what one row adds, over the
    row's columns (ENROLMENT_FIELDS or CERTIFICATE_FIELDS); the trigger multiplies it by
    the row's sign (+1 as it is now, -1 as it was)."""

    column: str
    per_row: str


# Columns whose change can change a figure, per table (the update triggers' columns).
ENROLMENT_COLUMNS = ("status", "completed_at", "final_score", "user_id", "course_id")
CERTIFICATE_COLUMNS = ("revoked_at", "jp", "issued_at", "user_id", "course_id")
USER_COLUMNS = ("opd_id", "employment_status", "active")
# What a figure may read of a changed row.
ENROLMENT_FIELDS = ("course_id", "status", "completed_at", "final_score")
CERTIFICATE_FIELDS = ("course_id", "revoked_at", "jp", "issued_at", "user_id")
PERSON = "u.opd_id AS opd_id, u.employment_status AS employment_status, u.active AS active"
TABLES = {"enrolments": ENROLMENT_COLUMNS, "certificates": CERTIFICATE_COLUMNS}
TRIGGERS = [
    *(f"report_rollups_{t}_{op}" for t in TABLES for op in ("insert", "delete", "update")),
    "report_rollups_users_update",
    "report_rollups_users_delete",
]
FUNCTIONS = (
    "report_rollups_enrolments_rows",
    "report_rollups_enrolments_row",
    "report_rollups_certificates_rows",
    "report_rollups_certificates_row",
    "report_rollups_user_row",
)
# Contributions. Each source lists rows with the person's (opd_id, employment_status,
# active) and a sign: +1 for a row as it is now, -1 for a row as it was. Summed per key
# first, so one statement touches a key once (PostgreSQL's ON CONFLICT requires it) and
# in key order (two transactions lock shared keys in the same order: no deadlock).
# The WHERE also settles SQLite's upsert parsing ambiguity.
_COUNTED = "WHERE active AND opd_id IS NOT NULL"
_KEY = "opd_id, course_id, employment_status"


class _Sql:
    """The statements for one dialect, set of figures and zone."""

    def __init__(
        self,
        dialect: str,
        enrolment_figures: Sequence[Delta],
        certificate_figures: Sequence[Delta],
        fixed_zone: str | None,
    ):
        self.dialect = dialect
        self.enrolment_figures = tuple(enrolment_figures)
        self.certificate_figures = tuple(certificate_figures)
        self.figures = self.enrolment_figures + self.certificate_figures
        if fixed_zone is None:  # the recorded zone, read by every statement
            self.zone = (
                "(SELECT name FROM report_timezone)"
                if dialect == "postgresql"
                else "(SELECT utc_offset_minutes || ' minutes' FROM report_timezone)"
            )
        elif dialect == "postgresql":
            self.zone = f"'{fixed_zone}'"
        else:
            offset = datetime(2026, 1, 1, tzinfo=ZoneInfo(fixed_zone)).utcoffset()
            self.zone = f"'{int(offset.total_seconds() // 60)} minutes'"

    # -- calendar: the stored UTC text without its fraction on SQLite (date() rounds to
    # milliseconds, which would push 23:59:59.9999 into the next day), shifted to the zone

    def _local(self, expr: str) -> str:
        return f"substr({expr}, 1, 19), {self.zone}"

    def week(self, expr: str) -> str:
        if self.dialect == "postgresql":
            return f"date_trunc('week', {expr} AT TIME ZONE {self.zone})::date"
        return f"date({self._local(expr)}, 'weekday 0', '-6 days')"

    def quarter(self, expr: str) -> str:
        if self.dialect == "postgresql":
            return f"date_trunc('quarter', {expr} AT TIME ZONE {self.zone})::date"
        local = self._local(expr)
        return (
            f"printf('%04d-%02d-01', CAST(strftime('%Y', {local}) AS INTEGER), "
            f"(CAST(strftime('%m', {local}) AS INTEGER) - 1) / 3 * 3 + 1)"
        )

    def year(self, expr: str) -> str:
        if self.dialect == "postgresql":
            return f"extract(year FROM {expr} AT TIME ZONE {self.zone})::integer"
        return f"CAST(strftime('%Y', {self._local(expr)}) AS INTEGER)"

    # -- deltas

    def _upsert_rollup(self) -> str:
        return f"ON CONFLICT ({_KEY}) DO UPDATE SET " + ", ".join(
            f"{d.column} = report_rollups.{d.column} + excluded.{d.column}" for d in self.figures
        )

    def _rollup(self, source: str, figures: Sequence[Delta], where: str) -> str:
        sums = ", ".join(
            f"sum(sign * ({d.per_row}))" if d in figures else "0" for d in self.figures
        )
        return (
            f"INSERT INTO report_rollups ({_KEY}, {', '.join(d.column for d in self.figures)}) "
            f"SELECT {_KEY}, {sums} FROM ({source}) AS d {where} "
            f"GROUP BY {_KEY} ORDER BY {_KEY} {self._upsert_rollup()}"
        )

    def enrolment_deltas(self, source: str) -> list[str]:
        """Apply the enrolment rows of `source` (opd_id, employment_status, active,
        ENROLMENT_FIELDS, sign) to report_rollups and report_week_rollups."""
        week = self.week("completed_at")
        return [
            self._rollup(source, self.enrolment_figures, _COUNTED),
            f"INSERT INTO report_week_rollups ({_KEY}, week_start, completions) "
            f"SELECT {_KEY}, {week}, sum(sign) "
            f"FROM ({source}) AS d {_COUNTED} AND completed_at IS NOT NULL "
            f"GROUP BY {_KEY}, {week} ORDER BY {_KEY}, {week} "
            f"ON CONFLICT ({_KEY}, week_start) DO UPDATE SET "
            "completions = report_week_rollups.completions + excluded.completions",
        ]

    def certificate_deltas(self, source: str, *, per_person: bool = True) -> list[str]:
        """Apply the certificate rows of `source` (opd_id, employment_status, active,
        CERTIFICATE_FIELDS, sign) to the rollups. `per_person`: also to report_person_jp,
        which does not depend on the person's OPD or status (so a person's change leaves
        it alone)."""
        quarter = self.quarter("issued_at")
        year = self.year("issued_at")
        valid = f"{_COUNTED} AND revoked_at IS NULL"
        statements = [
            self._rollup(source, self.certificate_figures, valid),
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

    def row_change(self, table: str, *, old: bool, new: bool) -> list[str]:
        fields = ENROLMENT_FIELDS if table == "enrolments" else CERTIFICATE_FIELDS
        parts = ([_row(fields, "OLD", "-1")] if old else []) + (
            [_row(fields, "NEW", "1")] if new else []
        )
        source = " UNION ALL ".join(parts)
        if table == "enrolments":
            return self.enrolment_deltas(source)
        return self.certificate_deltas(source)

    def person_change(self, *, old: bool, new: bool) -> list[str]:
        enrolments = []
        certificates = []
        for person, sign, wanted in (("OLD", "-1", old), ("NEW", "1", new)):
            if wanted:
                enrolments.append(_persons_rows("enrolments", ENROLMENT_FIELDS, person, sign))
                certificates.append(_persons_rows("certificates", CERTIFICATE_FIELDS, person, sign))
        return self.enrolment_deltas(" UNION ALL ".join(enrolments)) + self.certificate_deltas(
            " UNION ALL ".join(certificates), per_person=False
        )


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


def _changed(columns: tuple[str, ...], distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


def _sqlite(sql: _Sql) -> list[str]:
    def trigger(name: str, when: str, statements: list[str]) -> str:
        return f"CREATE TRIGGER {name} {when} BEGIN " + "; ".join(statements) + "; END"

    out = []
    for table, columns in TABLES.items():
        out += [
            trigger(
                f"report_rollups_{table}_insert",
                f"AFTER INSERT ON {table}",
                sql.row_change(table, old=False, new=True),
            ),
            trigger(
                f"report_rollups_{table}_delete",
                f"AFTER DELETE ON {table}",
                sql.row_change(table, old=True, new=False),
            ),
            trigger(
                f"report_rollups_{table}_update",
                f"AFTER UPDATE OF {', '.join(columns)} ON {table} "
                f"WHEN {_changed(columns, 'IS NOT')}",
                sql.row_change(table, old=True, new=True),
            ),
        ]
    out += [
        trigger(
            "report_rollups_users_update",
            f"AFTER UPDATE OF {', '.join(USER_COLUMNS)} ON users "
            f"WHEN {_changed(USER_COLUMNS, 'IS NOT')}",
            sql.person_change(old=True, new=True),
        ),
        # Before: the person's rows are still there. Enrolments then go by cascade, after
        # the person, so their own delete trigger finds no person and subtracts nothing.
        trigger(
            "report_rollups_users_delete",
            "BEFORE DELETE ON users",
            sql.person_change(old=True, new=False),
        ),
    ]
    return out


def _postgresql(sql: _Sql) -> list[str]:
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
            sql.enrolment_deltas(bulk) if table == "enrolments" else sql.certificate_deltas(bulk)
        )
        lock_people = (
            "PERFORM 1 FROM users WHERE id IN (SELECT user_id FROM changed_rows) "
            "ORDER BY id FOR SHARE"
        )
        lock_person = (
            "PERFORM 1 FROM users WHERE id IN (OLD.user_id, NEW.user_id) ORDER BY id FOR SHARE"
        )
        out += [
            function(f"report_rollups_{table}_rows", [lock_people, *deltas]),
            function(
                f"report_rollups_{table}_row",
                [lock_person, *sql.row_change(table, old=True, new=True)],
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
                + "; ".join(sql.person_change(old=True, new=False))
                + "; ELSE "
                + "; ".join(sql.person_change(old=True, new=True))
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


def create(
    dialect: str,
    enrolment_figures: Sequence[Delta],
    certificate_figures: Sequence[Delta],
    *,
    fixed_zone: str | None = None,
) -> list[str]:
    """CREATE statements of every trigger (and PostgreSQL trigger function). The zone is
    read from report_timezone, or fixed (`fixed_zone`, for the older migrations' shape)."""
    sql = _Sql(dialect, enrolment_figures, certificate_figures, fixed_zone)
    return _postgresql(sql) if dialect == "postgresql" else _sqlite(sql)


def drop(dialect: str) -> list[str]:
    if dialect == "postgresql":
        tables = {name: name.split("_")[2] for name in TRIGGERS}
        return [f"DROP TRIGGER IF EXISTS {name} ON {tables[name]}" for name in TRIGGERS] + [
            f"DROP FUNCTION IF EXISTS {name}()" for name in FUNCTIONS
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]


ROLLUP_TABLES = ("report_rollups", "report_week_rollups", "report_jp_rollups", "report_person_jp")


def install(
    dialect: str,
    enrolment_figures: Sequence[Delta],
    certificate_figures: Sequence[Delta],
    *,
    fixed_zone: str | None = None,
) -> list[str]:
    """What a migration runs after `drop` and its schema change: every rollup row
    computed anew from the rows there, then the triggers created (~15 s at 100,000 ASN
    on SQLite)."""
    return [
        *(f"DELETE FROM {table}" for table in ROLLUP_TABLES),
        *fill(dialect, enrolment_figures, certificate_figures, fixed_zone=fixed_zone),
        *create(dialect, enrolment_figures, certificate_figures, fixed_zone=fixed_zone),
    ]


def fill(
    dialect: str,
    enrolment_figures: Sequence[Delta],
    certificate_figures: Sequence[Delta],
    *,
    fixed_zone: str | None = None,
) -> list[str]:
    """The rollups of the rows already there, added to empty rollup tables: every row
    counted once, with sign +1."""
    sql = _Sql(dialect, enrolment_figures, certificate_figures, fixed_zone)
    people = "JOIN users u ON u.id = r.user_id"
    enrolments = ", ".join(f"r.{f} AS {f}" for f in ENROLMENT_FIELDS)
    certificates = ", ".join(f"r.{f} AS {f}" for f in CERTIFICATE_FIELDS)
    return sql.enrolment_deltas(
        f"SELECT {PERSON}, {enrolments}, 1 AS sign FROM enrolments r {people}"
    ) + sql.certificate_deltas(
        f"SELECT {PERSON}, {certificates}, 1 AS sign FROM certificates r {people}"
    )
