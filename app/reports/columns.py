"""The OPD summary's columns: the one list that the dashboard table, its sort keys, the
CSV/XLSX/PDF exports and the JSON API read.

A column shows figures counted per OPD. A `Figure` says how SQL counts it — an aggregate
over one source (people, enrolments, valid certificates, bimtek attendance) — and whether
`report_rollups` holds it, in which case the dashboard without a period sums the rollup
instead of counting rows (app/reports/opd_summary.py, app/reports/rollups.py). A derived
column (a percentage, an average) computes from figures, so the city total derives from
summed figures and never averages averages.

Adding a column is one entry in COLUMNS. A figure from enrolments or certificates is
counted live until the rollups hold it; to make it fast add `rollup=True`, its column on
ReportRollup and a migration that adds the column, backfills it and recreates the
triggers with its per-row delta (docs/reports.md, "Adding a column").
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, cast, distinct, func

from app.bimtek.models import Attendance
from app.certificates.models import Certificate
from app.i18n import N_, fmt_number
from app.progress.models import Enrolment, EnrolmentStatus
from app.reports.periods import Period


class Kind(enum.StrEnum):
    """What a column holds: decides its formatting, rounding and alignment."""

    NAME = "name"  # the OPD's name: text, left-aligned, row heading
    COUNT = "count"  # people or enrolments: "1.234"
    PERCENT = "percent"  # "71,4%"
    SCORE = "score"  # "81,67"
    JP = "jp"  # jam pelajaran, a count: "1.234"

    @property
    def numeric(self) -> bool:
        return self is not Kind.NAME

    @property
    def digits(self) -> int:
        """Decimals shown on the page and kept in files and the API."""
        return {Kind.PERCENT: 1, Kind.SCORE: 2}.get(self, 0)


class Source(enum.Enum):
    """Which per-OPD query counts a figure (each is one GROUP BY over its rows)."""

    PEOPLE = "people"  # counted people: active, with an OPD, the filter's status
    ENROLMENTS = "enrolments"  # their enrolments in the filter's courses
    CERTIFICATES = "certificates"  # their valid (not revoked) certificates
    ATTENDANCE = "attendance"  # their presence on bimtek days


@dataclass(frozen=True)
class Figure:
    """A number counted per OPD. `aggregate` is the SQL aggregate in its source's query,
    given the filter's period (completions within it, for example); `rollup`: the column
    of report_rollups with the same name holds it, per (OPD, course, status), for all time."""

    name: str
    source: Source
    aggregate: Callable[[Period], ColumnElement]
    rollup: bool = False


@dataclass(frozen=True)
class Column:
    """One column of the OPD summary.

    `key` is its sort value in the URL (`urut=`), `label` its heading (a msgid, Indonesian
    as in the files), `field` its name in the API and on a row (`row.<field>`). It shows
    its one figure, or `derive(figures)` when it computes from several.
    """

    key: str
    label: str
    kind: Kind
    field: str
    figures: tuple[Figure, ...] = ()
    derive: Callable[[Mapping[str, int]], float | None] | None = None
    file_label: str | None = None  # heading in CSV/XLSX/PDF when it needs a unit
    sortable: bool = True
    width: float = 12  # XLSX column width, in characters

    def value(self, row) -> Any:
        """The unrounded value for an OpdRow (None: nothing to measure)."""
        if self.kind is Kind.NAME:
            return row.name
        if self.derive is not None:
            return self.derive(row.figures)
        return row.figures[self.figures[0].name]

    def rounded(self, row) -> Any:
        """The value as files and the API carry it (percent 1 decimal, score 2)."""
        value = self.value(row)
        if value is None or not self.kind.digits:
            return value
        return round(value, self.kind.digits)

    def text(self, row) -> str:
        """The value as the page shows it, in the reader's locale ("—" when empty)."""
        value = self.value(row)
        if self.kind is Kind.NAME:
            return value
        text = fmt_number(value, self.kind.digits)
        return text + "%" if self.kind is Kind.PERCENT and value is not None else text

    def sort_value(self, row) -> Any:
        value = self.value(row)
        return value.casefold() if self.kind is Kind.NAME else value


def _completed(period: Period) -> ColumnElement[bool]:
    # completed_at is set exactly when an enrolment completes (progress.service).
    return and_(
        Enrolment.status == EnrolmentStatus.completed, *period.conditions(Enrolment.completed_at)
    )


def _percent(part: int, whole: int) -> float | None:
    return part * 100 / whole if whole else None


# Scores are summed in hundredths, live and in the rollups alike, so that adding and
# subtracting contributions stays exact on SQLite (no floating-point drift) and both
# ways of counting give the same average. A missing score is NULL: neither summed nor
# counted.
_CENTS = cast(func.round(Enrolment.final_score * 100), BigInteger)

ENROLLED = Figure("enrolled", Source.ENROLMENTS, lambda p: func.count(), rollup=True)
COMPLETED = Figure(
    "completed", Source.ENROLMENTS, lambda p: func.count().filter(_completed(p)), rollup=True
)
SCORE_CENTS = Figure(
    "score_cents",
    Source.ENROLMENTS,
    lambda p: func.coalesce(func.sum(_CENTS).filter(_completed(p)), 0),
    rollup=True,
)
SCORE_COUNT = Figure(
    "score_count",
    Source.ENROLMENTS,
    lambda p: func.count(Enrolment.final_score).filter(_completed(p)),
    rollup=True,
)
CERTIFICATES = Figure("certificates", Source.CERTIFICATES, lambda p: func.count(), rollup=True)

COLUMNS: tuple[Column, ...] = (
    Column("opd", N_("OPD"), Kind.NAME, "opd_name", width=48),
    Column(
        "asn",
        N_("ASN"),
        Kind.COUNT,
        "asn",
        (Figure("people", Source.PEOPLE, lambda p: func.count()),),
        width=10,
    ),
    Column("terdaftar", N_("Terdaftar"), Kind.COUNT, "enrolled", (ENROLLED,)),
    Column(
        "belum",
        N_("Belum mulai"),
        Kind.COUNT,
        "not_started",
        (
            Figure(
                "not_started",
                Source.ENROLMENTS,
                lambda p: func.count().filter(Enrolment.status == EnrolmentStatus.enrolled),
                rollup=True,
            ),
        ),
    ),
    Column(
        "berjalan",
        N_("Sedang berjalan"),
        Kind.COUNT,
        "in_progress",
        (
            Figure(
                "in_progress",
                Source.ENROLMENTS,
                lambda p: func.count().filter(Enrolment.status == EnrolmentStatus.in_progress),
                rollup=True,
            ),
        ),
        width=16,
    ),
    Column("selesai", N_("Selesai"), Kind.COUNT, "completed", (COMPLETED,), width=10),
    Column(
        "persen",
        N_("Persentase"),
        Kind.PERCENT,
        "completion_percent",
        (COMPLETED, ENROLLED),
        derive=lambda v: _percent(v["completed"], v["enrolled"]),
        file_label="Persentase selesai (%)",
    ),
    Column(
        "nilai",
        N_("Rata-rata nilai"),
        Kind.SCORE,
        "average_score",
        (SCORE_CENTS, SCORE_COUNT),
        derive=lambda v: v["score_cents"] / 100 / v["score_count"] if v["score_count"] else None,
        width=15,
    ),
    Column("sertifikat", N_("Sertifikat"), Kind.COUNT, "certificates", (CERTIFICATES,)),
    Column(
        "jp",
        N_("Total JP"),
        Kind.JP,
        "jp",
        (
            Figure(
                "jp",
                Source.CERTIFICATES,
                lambda p: func.coalesce(func.sum(Certificate.jp), 0),
                rollup=True,
            ),
        ),
        width=10,
    ),
    Column(
        "hadir",
        N_("Hadir bimtek"),
        Kind.COUNT,
        "bimtek_attendees",
        (
            Figure(
                "bimtek_attendees",
                Source.ATTENDANCE,
                lambda p: func.count(distinct(Attendance.user_id)),
            ),
        ),
    ),
)


def _figures() -> tuple[Figure, ...]:
    by_name: dict[str, Figure] = {}
    for column in COLUMNS:
        for figure in column.figures:
            if by_name.setdefault(figure.name, figure) is not figure:
                raise ValueError(f"two figures named {figure.name!r} in COLUMNS")
            if figure.rollup and figure.source not in (Source.ENROLMENTS, Source.CERTIFICATES):
                raise ValueError(f"{figure.name}: report_rollups holds enrolments and certificates")
    return tuple(by_name.values())


FIGURES = _figures()
ROLLUP_FIGURES = tuple(f for f in FIGURES if f.rollup)
BY_KEY = {c.key: c for c in COLUMNS}
BY_FIELD = {c.field: c for c in COLUMNS}
SORT_KEYS = {c.key: c.label for c in COLUMNS if c.sortable}
DEFAULT_SORT = COLUMNS[0].key
