"""What a report covers, as SQL: the parsed filter, the reader's OPD scope, and the
conditions every report query shares.

Who is counted: active people with an OPD (people without an OPD belong to no row of any
report). The scope comes from app/users/scope.py (`read_scope`, or an API token's OPD);
applied here, a scoped filter never returns another OPD's rows, and asking for another
OPD raises NotAllowed (403).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.courses.models import Course
from app.errors import NotAllowed, NotFound
from app.i18n import gettext as _
from app.opds.models import Opd
from app.reports.filters import FilterError, ReportFilter
from app.users.models import User
from app.users.scope import OpdScope

# The people every report counts; the rollups hold exactly these (app/reports/rollups.py).
COUNTED = (User.active.is_(True), User.opd_id.is_not(None))


def build_filter(db: Session, params: Mapping[str, str | None], *, scope: OpdScope) -> ReportFilter:
    """Parse query parameters into a filter, resolve the course and apply the OPD scope.

    Raises FilterError (422) for values we cannot use and NotAllowed (403) when a scoped
    reader asks for another OPD.
    """
    f = ReportFilter.from_params(params)
    if not scope.whole_city:
        if scope.limited_to is None:
            raise NotAllowed(_("Akun Anda belum terhubung ke OPD mana pun."))
        if f.opd_id is not None and not scope.allows(f.opd_id):
            raise NotAllowed(_("Anda hanya dapat melihat laporan OPD Anda."))
        f = replace(f, opd_id=scope.limited_to)
    elif f.opd_id is not None and db.get(Opd, f.opd_id) is None:
        raise FilterError(f"OPD nomor {f.opd_id} tidak ditemukan.")
    if f.course_slug is not None:
        course_id = db.scalar(select(Course.id).where(Course.slug == f.course_slug))
        if course_id is None:
            raise FilterError(f"Kursus '{f.course_slug}' tidak ditemukan.")
        f = replace(f, course_id=course_id)
    return f


def check_opd(db: Session, f: ReportFilter, opd_id: int) -> Opd:
    """The OPD a drill-down asks for, if the filter's scope allows it.

    A missing OPD is 404 for everyone: the list of OPDs is public, their figures are not.
    """
    opd = db.get(Opd, opd_id)
    if opd is None:
        raise NotFound()
    if f.opd_id is not None and f.opd_id != opd_id:
        raise NotAllowed(_("Anda hanya dapat melihat laporan OPD Anda."))
    return opd


def people(f: ReportFilter) -> list[ColumnElement[bool]]:
    """The counted people of the filter: its employment status and OPD."""
    conditions = list(COUNTED)
    if f.status != "all":
        conditions.append(User.employment_status == f.status)
    if f.opd_id is not None:
        conditions.append(User.opd_id == f.opd_id)
    return conditions


def courses(f: ReportFilter, column) -> list[ColumnElement[bool]]:
    """The filter's course and audience, on a course id column."""
    conditions = []
    if f.course_id is not None:
        conditions.append(column == f.course_id)
    if f.audience != "all":
        conditions.append(column.in_(select(Course.id).where(Course.audience == f.audience)))
    return conditions


def rollup_keys(f: ReportFilter, model) -> list[ColumnElement[bool]]:
    """The filter on a rollup table's keys (OPD, course, employment status); the rollups
    hold counted people only, like `people`."""
    conditions = courses(f, model.course_id)
    if f.status != "all":
        conditions.append(model.employment_status == f.status)
    if f.opd_id is not None:
        conditions.append(model.opd_id == f.opd_id)
    return conditions
