"""Report pages and their exports (staff only; an OPD admin sees their own OPD).

Routes parse the request, call the report modules (one per report) and render; the
figures come from nowhere else. Every filter lives in the URL, so a view can be bookmarked
and shared. Who sees which OPD is app/users/scope.py's `read_scope`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app import citytime
from app.auth.deps import Staff
from app.city import service as city
from app.i18n import fmt_number
from app.i18n import gettext as _
from app.reports import charts, exports, lookups, pdf
from app.reports.columns import BY_KEY, COLUMNS
from app.reports.drilldown import opd_people
from app.reports.filters import (
    AUDIENCES,
    STATUSES,
    FilterError,
    ReportFilter,
    parse_page,
    parse_year,
)
from app.reports.jp_report import jp_people, jp_year
from app.reports.opd_summary import OpdSummary, opd_summary
from app.reports.overdue import not_started as overdue
from app.reports.paging import each_item
from app.reports.person import person_record, training_history
from app.reports.rollups import ZoneMismatch
from app.reports.selection import build_filter, check_opd
from app.reports.weekly import WeekCount, weekly_completions
from app.users.scope import read_scope
from app.web import SessionDep, is_htmx, render

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
EXPORT_PAGE = 500
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
# table name in the URL -> formats it can be downloaded in
EXPORTS = {
    "opd": ("csv", "xlsx", "pdf"),
    "mingguan": ("csv", "xlsx"),
    "asn": ("csv", "xlsx"),
    "belum-mulai": ("csv", "xlsx"),
    "jp": ("csv", "xlsx"),
    "jp-triwulan": ("csv", "xlsx"),
    "jp-kategori": ("csv", "xlsx"),
    "siasn": ("csv", "xlsx"),
}


@contextmanager
def report_errors() -> Iterator[None]:
    """Turn the report layer's own refusals into HTTP answers: 422 for a filter value we
    cannot use, 503 while the rollups are in another time zone. (NotAllowed and NotFound
    are answered by the web layer's handlers: 403, 404.)"""
    try:
        yield
    except FilterError as exc:
        raise HTTPException(422, str(exc)) from None
    except ZoneMismatch as exc:
        raise HTTPException(503, str(exc)) from None


def _today(request: Request) -> date:
    return citytime.today(request.app.state.clock())


def _filter(request: Request, db, user) -> ReportFilter:
    return build_filter(db, request.query_params, scope=read_scope(user))


def _base_context(db, user, f: ReportFilter) -> dict:
    scope = read_scope(user)
    return {
        "f": f,
        "city_wide": scope.whole_city,
        "courses": lookups.course_choices(db),
        "opds": lookups.opd_choices(db, scope.limited_to),
        "audiences": AUDIENCES,
        "statuses": STATUSES,
        "scope_name": lookups.opd_name(db, scope.limited_to),
        "zone_label": citytime.label(),
    }


def _fragment(request: Request, response: Response, url: str) -> Response:
    # A GET form sends its empty fields too; push the clean URL into the history instead.
    if is_htmx(request):
        response.headers["HX-Push-Url"] = url
    return response


@router.get("/laporan")
def dashboard(request: Request, db: SessionDep, user: Staff):
    with report_errors():
        f = _filter(request, db, user)
        summary = opd_summary(db, f)
        weeks = weekly_completions(db, f, today=_today(request))
        context = _base_context(db, user, f)
    context.update(
        summary=summary,
        weeks=weeks,
        columns=COLUMNS,
        bar_chart=_bar_chart(summary),
        trend_chart=_trend_chart(weeks),
    )
    response = render(request, "reports/dashboard.html", context, block="results")
    return _fragment(request, response, "/laporan" + f.query())


def _bar_chart(summary: OpdSummary):
    percent = BY_KEY["persen"]
    bars = [charts.Bar(r.name, percent.value(r), percent.text(r)) for r in summary.rows]
    return charts.horizontal_bars(
        bars,
        chart_id="grafik-opd",
        title=_("Persentase penyelesaian kursus per OPD"),
        desc=_(
            "Diagram batang mendatar: satu batang per OPD, panjangnya persentase pendaftaran "
            "yang sudah selesai. Rata-rata kota %(total)s. Angka lengkap ada di tabel."
        )
        % {"total": percent.text(summary.totals)},
    )


def _trend_chart(weeks: list[WeekCount]):
    columns = [
        charts.Bar(w.start.strftime("%d/%m"), w.completed, fmt_number(w.completed)) for w in weeks
    ]
    first, last = weeks[0], weeks[-1]
    return charts.column_trend(
        columns,
        chart_id="grafik-mingguan",
        title=_("Penyelesaian kursus per minggu"),
        desc=_(
            "Diagram kolom: jumlah kursus yang diselesaikan setiap minggu (Senin–Minggu) "
            "dari %(start)s sampai %(end)s, total %(total)s."
        )
        % {
            "start": exports.long_date(first.start),
            "end": exports.long_date(last.end),
            "total": fmt_number(sum(w.completed for w in weeks)),
        },
    )


@router.get("/laporan/opd/{opd_id}")
def opd_detail(request: Request, db: SessionDep, user: Staff, opd_id: int):
    with report_errors():
        f = _filter(request, db, user)
        if read_scope(user).whole_city:
            f = replace(f, opd_id=None)  # the path names the OPD; an `opd` parameter is moot
        opd = check_opd(db, f, opd_id)
        page = parse_page(request.query_params.get("halaman"))
        people = opd_people(db, f, opd_id, page=page, per_page=PER_PAGE)
        figures = opd_summary(db, replace(f, opd_id=opd_id)).totals
        context = _base_context(db, user, f)
    context.update(opd=opd, people=people, figures=figures, columns=COLUMNS, page_url=page_url)
    response = render(request, "reports/opd.html", context, block="results")
    return _fragment(request, response, page_url(f"/laporan/opd/{opd_id}", f, people.page))


@router.get("/laporan/asn/{user_id}")
def person_detail(request: Request, db: SessionDep, user: Staff, user_id: int):
    with report_errors():
        record = person_record(db, user_id, scope=read_scope(user))
    return render(request, "reports/person.html", {"record": record})


@router.get("/laporan/belum-mulai")
def not_started(request: Request, db: SessionDep, user: Staff):
    with report_errors():
        f = _filter(request, db, user)
        page = parse_page(request.query_params.get("halaman"))
        rows = overdue(db, f, today=_today(request), page=page, per_page=PER_PAGE)
        context = _base_context(db, user, f)
    context.update(rows=rows, today=_today(request), page_url=page_url)
    response = render(request, "reports/not_started.html", context, block="results")
    return _fragment(request, response, "/laporan/belum-mulai" + f.query())


def _jp_params(request: Request, f: ReportFilter) -> tuple[int, bool]:
    if f.status == "NON_ASN":
        raise FilterError("Target JP berlaku untuk ASN (CPNS, PNS, PPPK), bukan non-ASN.")
    year = parse_year(request.query_params.get("tahun"), _today(request).year)
    below = request.query_params.get("bawah") == "1"
    return year, below


@router.get("/laporan/jp")
def jp_page(request: Request, db: SessionDep, user: Staff):
    with report_errors():
        f = _filter(request, db, user)
        year, below = _jp_params(request, f)
        page = parse_page(request.query_params.get("halaman"))
        report = jp_year(db, year, f.opd_id, status=f.status)
        people = jp_people(
            db, year, f.opd_id, status=f.status, below_target=below, page=page, per_page=PER_PAGE
        )
        context = _base_context(db, user, f)
    context.update(
        report=report,
        people=people,
        year=year,
        below=below,
        jp_query=_jp_query(f, year, below),
        statuses={k: v for k, v in STATUSES.items() if k != "NON_ASN"},
    )
    response = render(request, "reports/jp.html", context, block="results")
    return _fragment(request, response, "/laporan/jp" + _jp_query(f, year, below))


def _jp_status_label(f: ReportFilter) -> tuple[str, str]:
    label = "Semua ASN (CPNS, PNS, PPPK)" if f.status == "all" else STATUSES[f.status]
    return ("Status kepegawaian", label)


def page_url(path: str, f: ReportFilter, page: int) -> str:
    """A page of a paginated report, keeping the filters (page 1 has no parameter)."""
    query = f.query()
    if page > 1:
        query += ("&" if query else "?") + f"halaman={page}"
    return path + query


def _jp_query(f: ReportFilter, year: int, below: bool) -> str:
    params = {k: v for k, v in f.params().items() if k in ("status", "opd")}
    params["tahun"] = str(year)
    if below:
        params["bawah"] = "1"
    return "?" + urlencode(params)


# ---------------------------------------------------------------------------- exports


@router.get("/laporan/ekspor/{tabel}.{fmt}")
def export(request: Request, db: SessionDep, user: Staff, tabel: str, fmt: str):
    """Any report table as CSV or XLSX (and the OPD summary as PDF), same filters as the page."""
    if fmt not in EXPORTS.get(tabel, ()):
        raise HTTPException(404)
    settings = request.app.state.settings
    now = request.app.state.clock()
    with report_errors():
        f = _filter(request, db, user)
        filters = exports.describe_filter(
            f,
            course_title=lookups.course_title(db, f.course_id),
            opd_name=lookups.opd_name(db, f.opd_id),
        )
        if tabel == "opd" and fmt == "pdf":
            summary = opd_summary(db, f)
            body = pdf.summary_pdf(
                summary,
                settings=settings,
                signer=city.signer(db, settings),
                filters=filters,
                generated_at=now,
                logo=city.logo(db),
            )
            return _download(body, fmt, tabel, now)
        table = _export_table(request, db, user, tabel, f, filters)
        if fmt == "csv":
            body = exports.to_csv(table, excel=request.query_params.get("excel") == "1")
        else:
            body = exports.to_xlsx(table, settings=settings, generated_at=now)
    return _download(body, fmt, tabel, now)


def _export_table(request, db, user, tabel: str, f: ReportFilter, filters):
    today = _today(request)
    if tabel == "opd":
        return exports.opd_table(opd_summary(db, f), filters)
    if tabel == "mingguan":
        return exports.weekly_table(weekly_completions(db, f, today=today), filters)
    if tabel == "asn":
        if f.opd_id is None:
            raise FilterError("Pilih OPD (parameter opd) untuk mengunduh daftar ASN.")
        opd = check_opd(db, f, f.opd_id)
        people = each_item(lambda page: opd_people(db, f, opd.id, page=page, per_page=EXPORT_PAGE))
        # The whole list is written before the session closes (exports are built in memory).
        return exports.people_table(list(people), opd.name, filters)
    if tabel == "belum-mulai":
        rows = each_item(lambda page: overdue(db, f, today=today, page=page, per_page=EXPORT_PAGE))
        return exports.not_started_table(list(rows), filters)
    if tabel in ("jp", "jp-triwulan", "jp-kategori"):
        year, below = _jp_params(request, f)
        filters = [filters[0], ("Tahun", str(year)), _jp_status_label(f)]
        if tabel == "jp":
            rows = each_item(
                lambda page: jp_people(
                    db,
                    year,
                    f.opd_id,
                    status=f.status,
                    below_target=below,
                    page=page,
                    per_page=EXPORT_PAGE,
                )
            )
            return exports.jp_people_table(list(rows), year, filters)
        report = jp_year(db, year, f.opd_id, status=f.status)
        if tabel == "jp-triwulan":
            return exports.jp_quarter_table(report, filters)
        return exports.jp_category_table(report, filters)
    # siasn: everyone in the filter, or one person (`asn`), checked against the scope
    person = request.query_params.get("asn")
    user_id = None
    if person:
        if not person.isdigit() or len(person) > 12:
            raise FilterError("Parameter asn harus berupa nomor pengguna.")
        record = person_record(db, int(person), scope=read_scope(user))
        user_id = record.user_id
        filters = [("ASN", f"{record.name} ({record.nip or record.nik or '-'})"), *filters[1:]]
    records = training_history(db, f, user_id=user_id)
    organizer = exports.organizer(request.app.state.settings)
    return exports.siasn_table(list(records), organizer=organizer, filters=filters)


def _download(body: bytes, fmt: str, tabel: str, now) -> Response:
    filename = f"laporan-{tabel}-{citytime.today(now):%Y%m%d}.{fmt}"
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
