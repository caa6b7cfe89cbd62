"""Report figures against a straightforward Python computation over the same rows.

The property test generates small random cities (OPDs, people with statuses, enrolments
with scores and completion dates around Jakarta's midnight, certificates incl. revoked,
bimtek attendance), inserts them into the test database — SQLite and PostgreSQL — and
changes some of it (people moving, leaving, certificates revoked, enrolments completed or
deleted) and checks every figure of opd_summary, weekly_completions, jp_year and jp_people
— the dashboard both ways: counted live (with a period) and from the trigger-maintained
rollups (without one). Helpers at the top are shared with the HTTP and API tests.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, update

from app.bimtek.models import Attendance, BimtekDay, BimtekSession
from app.certificates.models import Certificate
from app.courses.models import Course
from app.errors import NotAllowed, NotFound
from app.opds.models import Opd
from app.progress.models import Enrolment
from app.reports import charts, rollups
from app.reports.drilldown import opd_people
from app.reports.filters import FilterError, ReportFilter, parse_page, parse_year
from app.reports.jp_report import ASN_STATUSES, JP_TARGET, NO_CATEGORY, jp_people, jp_year
from app.reports.opd_summary import opd_summary
from app.reports.overdue import not_started
from app.reports.paging import each_item
from app.reports.periods import quarter_ranges, week_start, week_starts, year_range
from app.reports.person import person_record, training_history
from app.reports.selection import build_filter
from app.reports.weekly import weekly_completions
from app.users.models import User, UserRole
from app.users.scope import WHOLE_CITY, OpdScope, read_scope

JAKARTA = ZoneInfo("Asia/Jakarta")
_serials = itertools.count(1)


# ---------------------------------------------------------------------------- helpers


def jakarta(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An instant given as Jakarta wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=JAKARTA).astimezone(UTC)


def make_course(db, slug: str, *, audience: str = "umum", jp: int = 4, category="teknis"):
    course = Course(
        slug=slug,
        title=f"Kursus {slug}",
        summary="-",
        audience=audience,
        jp=jp,
        jp_category=category,
        content_hash=hashlib.sha256(slug.encode()).hexdigest(),
        assets=[],
    )
    db.add(course)
    db.flush()
    return course


def make_enrolment(
    db,
    user,
    course,
    *,
    status: str = "enrolled",
    enrolled_at: datetime,
    completed_at: datetime | None = None,
    score: float | None = None,
    source: str = "self",
    due_date: date | None = None,
    progress: int | None = None,
):
    started = enrolled_at + timedelta(hours=1) if status != "enrolled" else None
    e = Enrolment(
        user_id=user.id,
        course_id=course.id,
        source=source,
        due_date=due_date,
        enrolled_at=enrolled_at,
        started_at=started,
        last_activity_at=completed_at or started,
        completed_at=completed_at,
        status=status,
        items_done=0,
        items_required=4,
        progress_percent=progress if progress is not None else (100 if completed_at else 0),
        final_score=score,
    )
    db.add(e)
    db.flush()
    return e


def make_certificate(db, enrolment, *, jp: int, issued_at: datetime, revoked: bool = False):
    n = next(_serials)
    c = Certificate(
        serial=f"UJI/{n:06d}",
        code=f"{n:016d}",
        enrolment_id=enrolment.id,
        user_id=enrolment.user_id,
        course_id=enrolment.course_id,
        content_hash="0" * 64,
        jp=jp,
        issued_at=issued_at,
        payload={"v": 1},
        kid="uji",
        signature="-",
        revoked_at=issued_at + timedelta(days=1) if revoked else None,
    )
    db.add(c)
    db.flush()
    return c


def complete(db, user, course, *, at: datetime, score: float | None, revoked=False, **kw):
    e = make_enrolment(
        db,
        user,
        course,
        status="completed",
        enrolled_at=at - timedelta(days=10),
        completed_at=at,
        score=score,
        **kw,
    )
    return e, make_certificate(db, e, jp=course.jp, issued_at=at, revoked=revoked)


# ---------------------------------------------------------------------------- pure parts


def test_filter_parsing_and_round_trip():
    f = ReportFilter.from_params(
        {
            "kursus": "orientasi",
            "sasaran": "cpns",
            "status": "pppk",
            "dari": "2026-01-01",
            "sampai": "2026-03-31",
            "urut": "persen",
            "turun": "1",
            "halaman": "3",  # not a filter: ignored
        }
    )
    assert (f.course_slug, f.audience, f.status, f.sort, f.desc) == (
        "orientasi",
        "cpns",
        "PPPK",
        "persen",
        True,
    )
    assert ReportFilter.from_params(f.params()) == f
    assert ReportFilter.from_params({"kursus": "", "dari": " ", "status": "all"}) == ReportFilter()
    assert ReportFilter().query() == ""
    start, end = f.period_utc()
    assert start == datetime(2025, 12, 31, 17, tzinfo=UTC)  # 1 Jan 00:00 WIB
    assert end == datetime(2026, 3, 31, 17, tzinfo=UTC)  # 1 Apr 00:00 WIB, exclusive


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "HONORER"}, "Status kepegawaian 'HONORER' tidak dikenal"),
        ({"sasaran": "semua"}, "Sasaran 'semua' tidak dikenal"),
        ({"dari": "31-03-2026"}, "format TTTT-BB-HH"),
        ({"dari": "2026-04-01", "sampai": "2026-03-01"}, "tidak boleh setelah"),
        ({"urut": "gaji"}, "Urutan 'gaji' tidak dikenal"),
        ({"opd": "abc"}, "harus berupa nomor"),
        ({"turun": "mungkin"}, "harus 1 atau 0"),
        ({"kursus": "<script>"}, "tidak valid"),
        ({"dari": "1999-12-31"}, "antara tahun 2000 dan 2100"),
    ],
)
def test_bad_filter_values_say_what_is_wrong(params, message):
    with pytest.raises(FilterError, match=message):
        ReportFilter.from_params(params)


def test_page_and_year_parsing():
    assert parse_page(None) == 1 and parse_page("4") == 4
    assert parse_year("", 2026) == 2026 and parse_year("2025", 2026) == 2025
    for bad in ("0", "-1", "x"):
        with pytest.raises(FilterError):
            parse_page(bad)
    with pytest.raises(FilterError):
        parse_year("1999", 2026)


def test_jakarta_calendar_boundaries():
    assert week_start(date(2026, 11, 29)) == date(2026, 11, 23)  # Sunday -> Monday
    assert week_starts(date(2026, 11, 23), 3) == [
        date(2026, 11, 9),
        date(2026, 11, 16),
        date(2026, 11, 23),
    ]
    start, end = year_range(2026)
    assert start == datetime(2025, 12, 31, 17, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 17, tzinfo=UTC)
    quarters = quarter_ranges(2026)
    assert quarters[1][0] == datetime(2026, 3, 31, 17, tzinfo=UTC)
    assert quarters[3][1] == end


def test_svg_charts_escape_text_and_use_no_inline_style():
    svg = charts.horizontal_bars(
        [charts.Bar('Dinas "A" <script>', 50.0, "50%"), charts.Bar("Kosong", None, "—")],
        chart_id="uji",
        title="Judul & <b>",
        desc="Deskripsi",
    )
    assert 'role="img"' in svg and '<title id="uji-title">Judul &amp; &lt;b&gt;</title>' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&#34;A&#34;" in svg
    assert "style=" not in svg
    assert 'width="265.0"' in svg  # half of the 530-unit track
    trend = charts.column_trend(
        [charts.Bar("01/06", 3, "3"), charts.Bar("08/06", 0, "0")],
        chart_id="tren",
        title="Tren",
        desc="d",
    )
    assert "style=" not in trend and trend.count("<rect") == 2


# ---------------------------------------------------------------------------- the property


COURSES = [
    ("c-cpns", "cpns", 6, "teknis"),
    ("c-bimtek", "bimtek", 12, "manajerial"),
    ("c-umum", "umum", 3, None),
]
STATUSES = ["CPNS", "PNS", "PPPK", "NON_ASN"]
BASE_DAY = date(2026, 1, 1)
TODAY = date(2026, 7, 15)
# Jakarta wall-clock times that straddle UTC midnight and the day boundaries.
CLOCK = [(0, 0), (0, 1), (6, 59), (7, 0), (12, 0), (23, 59)]

# Days (from 1 January 2026) on and around the edges that matter: years, quarters, the
# weeks of the trend (TODAY's week starts on day 193, the 12-week window on day 109).
# Drawing from a small pool makes completions land on a period's first and last day.
EDGE_DAYS = [-1, 0, 1, 89, 90, 91, 108, 109, 115, 181, 192, 193, 194, 199, 273, 364, 365]
day_offset = st.sampled_from(EDGE_DAYS) | st.integers(-20, 380)
instant = st.builds(
    lambda d, t: jakarta(BASE_DAY + timedelta(days=d), *t), day_offset, st.sampled_from(CLOCK)
)


@dataclass
class City:
    opds: list[dict]
    users: list[dict]
    enrolments: list[dict] = field(default_factory=list)
    certificates: list[dict] = field(default_factory=list)
    days: list[dict] = field(default_factory=list)
    attendance: list[dict] = field(default_factory=list)


@st.composite
def cities(draw) -> City:
    n_opds = draw(st.integers(1, 3))
    opds = [{"id": i + 1, "active": draw(st.booleans()) or i == 0} for i in range(n_opds)]
    users = []
    # Mostly active people with an OPD: the ones without are edge cases, not the city.
    for uid in range(1, draw(st.integers(1, 10)) + 1):
        users.append(
            {
                "id": uid,
                "opd_id": draw(st.sampled_from([*(o["id"] for o in opds), None])),
                "status": draw(st.sampled_from(STATUSES)),
                "active": draw(st.sampled_from([True, True, True, False])),
            }
        )
    city = City(opds=opds, users=users)
    eid = 0
    for u in users:
        for course_id in draw(st.sets(st.integers(1, len(COURSES)), min_size=1, max_size=3)):
            eid += 1
            status = draw(st.sampled_from(["enrolled", "in_progress", "completed", "completed"]))
            enrolled_at = draw(instant)
            completed_at = draw(instant) if status == "completed" else None
            score = (
                draw(st.none() | st.integers(0, 10000).map(lambda n: n / 100))
                if status == "completed"
                else None
            )
            city.enrolments.append(
                {
                    "id": eid,
                    "user_id": u["id"],
                    "course_id": course_id,
                    "status": status,
                    "enrolled_at": enrolled_at,
                    "completed_at": completed_at,
                    "score": score,
                    "source": draw(st.sampled_from(["self", "assigned", "bimtek"])),
                    "due": draw(
                        st.none() | st.integers(0, 300).map(lambda d: BASE_DAY + timedelta(days=d))
                    ),
                }
            )
            if status == "completed" and draw(st.booleans()):
                city.certificates.append(
                    {
                        "id": eid,
                        "enrolment_id": eid,
                        "user_id": u["id"],
                        "course_id": course_id,
                        "jp": draw(st.sampled_from([2, 4, 8, 10, 12, 16, 20, 21])),
                        "issued_at": draw(instant),
                        "revoked": draw(st.booleans()) and draw(st.booleans()),
                    }
                )
    session_days = draw(st.sets(st.tuples(st.integers(1, len(COURSES)), day_offset), max_size=3))
    for day_id, (course_id, offset) in enumerate(sorted(session_days), start=1):
        city.days.append(
            {"id": day_id, "course_id": course_id, "date": BASE_DAY + timedelta(days=offset)}
        )
    if city.days and users:
        pairs = draw(
            st.sets(
                st.tuples(
                    st.sampled_from([u["id"] for u in users]),
                    st.sampled_from([d["id"] for d in city.days]),
                ),
                min_size=1,
                max_size=6,
            )
        )
        city.attendance = [{"user_id": u, "day_id": d} for u, d in sorted(pairs)]
    return city


def filters_for(city: City):
    """Filters whose period starts or ends on the very days something was completed,
    issued or attended (or the day before/after), so the period boundaries are exercised
    in most examples rather than by luck."""
    moments = [e["completed_at"] for e in city.enrolments if e["completed_at"]]
    moments += [c["issued_at"] for c in city.certificates]
    days = sorted({_local(m) for m in moments} | {d["date"] for d in city.days})
    around = (
        st.sampled_from(days).flatmap(
            lambda d: st.sampled_from([d, d, d - timedelta(days=1), d + timedelta(days=1)])
        )
        if days
        else day_offset.map(lambda d: BASE_DAY + timedelta(days=d))
    )
    maybe_day = st.sampled_from([False, True, True]).flatmap(
        lambda chosen: around if chosen else st.none()
    )
    # Repeated "no filter" choices keep most examples non-empty: narrowing by course,
    # audience, status and OPD at once usually leaves nothing to count.
    return st.tuples(
        st.sampled_from([None, None, None, *range(1, len(COURSES) + 1)]),
        st.sampled_from(["all", "all", "all", "cpns", "bimtek"]),
        st.sampled_from(["all", "all", "all", *STATUSES]),
        st.tuples(maybe_day, maybe_day).map(
            lambda p: tuple(sorted(p)) if p[0] is not None and p[1] is not None else p
        ),
        st.sampled_from([None, None, 1, 2, 3]),
    )


def _store(db, city: City) -> None:
    """Replace whatever the previous example left with this city (bulk Core inserts)."""
    db.rollback()  # a failed example (while shrinking) may have left a broken transaction
    for model in (
        Attendance,
        BimtekDay,
        BimtekSession,
        Certificate,
        Enrolment,
        UserRole,
        User,
        Course,
        Opd,
    ):
        db.execute(delete(model))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    db.execute(
        insert(Opd),
        [
            {
                "id": o["id"],
                "code": f"OPD{o['id']}",
                "name": f"OPD {o['id']}",
                "active": o["active"],
                "created_at": now,
            }
            for o in city.opds
        ],
    )
    db.execute(
        insert(Course),
        [
            {
                "id": i,
                "slug": slug,
                "title": slug,
                "summary": "-",
                "audience": aud,
                "jp": jp,
                "jp_category": cat,
                "content_hash": "0" * 64,
                "assets": [],
                "archived": False,
                "enrolment_mode": "open",
                "synced_at": now,
            }
            for i, (slug, aud, jp, cat) in enumerate(COURSES, start=1)
        ],
    )
    if city.users:
        db.execute(
            insert(User),
            [
                {
                    "id": u["id"],
                    "nip": f"{u['id']:018d}",
                    "full_name": f"Orang {u['id']}",
                    "opd_id": u["opd_id"],
                    "employment_status": u["status"],
                    "active": u["active"],
                    "locale": "id",
                    "created_at": now,
                }
                for u in city.users
            ],
        )
    if city.enrolments:
        db.execute(
            insert(Enrolment),
            [
                {
                    "id": e["id"],
                    "user_id": e["user_id"],
                    "course_id": e["course_id"],
                    "source": e["source"],
                    "due_date": e["due"],
                    "enrolled_at": e["enrolled_at"],
                    "started_at": None,
                    "last_activity_at": e["completed_at"],
                    "completed_at": e["completed_at"],
                    "status": e["status"],
                    "items_done": 0,
                    "items_required": 1,
                    "progress_percent": 0,
                    "final_score": e["score"],
                }
                for e in city.enrolments
            ],
        )
    if city.certificates:
        db.execute(
            insert(Certificate),
            [
                {
                    "id": c["id"],
                    "serial": f"S{c['id']}",
                    "code": f"C{c['id']}",
                    "enrolment_id": c["enrolment_id"],
                    "user_id": c["user_id"],
                    "course_id": c["course_id"],
                    "content_hash": "0" * 64,
                    "jp": c["jp"],
                    "issued_at": c["issued_at"],
                    "payload": {},
                    "kid": "k",
                    "signature": "-",
                    "revoked_at": c["issued_at"] if c["revoked"] else None,
                }
                for c in city.certificates
            ],
        )
    if city.days:
        db.execute(
            insert(BimtekSession),
            [
                {
                    "id": i,
                    "title": f"Sesi {i}",
                    "course_id": i,
                    "capacity": 10,
                    "registration_opens": now,
                    "registration_closes": now,
                    "jp": 8,
                    "required_attendance_percent": 100,
                    "allow_self_registration": False,
                    "venue": "",
                    "facilitator_names": "",
                    "created_at": now,
                }
                for i in range(1, len(COURSES) + 1)
            ],
        )
        db.execute(
            insert(BimtekDay),
            [
                {
                    "id": d["id"],
                    "session_id": d["course_id"],
                    "date": d["date"],
                    "starts_at": jakarta(d["date"], 8),
                    "ends_at": jakarta(d["date"], 16),
                }
                for d in city.days
            ],
        )
    if city.attendance:
        db.execute(
            insert(Attendance),
            [
                {
                    "day_id": a["day_id"],
                    "user_id": a["user_id"],
                    "checked_in_at": now,
                    "method": "manual",
                }
                for a in city.attendance
            ],
        )
    db.commit()


def _local(moment: datetime) -> date:
    return moment.astimezone(JAKARTA).date()


def _expected_summary(city: City, f: ReportFilter) -> dict[int, dict]:
    audience = {i: aud for i, (_, aud, _, _) in enumerate(COURSES, start=1)}
    people = {
        u["id"]: u
        for u in city.users
        if u["active"]
        and u["opd_id"] is not None
        and (f.status == "all" or u["status"] == f.status)
        and (f.opd_id is None or u["opd_id"] == f.opd_id)
    }

    def course_ok(course_id: int) -> bool:
        return (f.course_id is None or course_id == f.course_id) and (
            f.audience == "all" or audience[course_id] == f.audience
        )

    def in_period(day: date) -> bool:
        return (f.completed_from is None or day >= f.completed_from) and (
            f.completed_to is None or day <= f.completed_to
        )

    rows: dict[int, dict] = defaultdict(
        lambda: {
            "people": 0,
            "enrolled": 0,
            "not_started": 0,
            "in_progress": 0,
            "completed": 0,
            "score_sum": 0.0,
            "score_count": 0,
            "certificates": 0,
            "jp": 0,
            "attendees": set(),
        }
    )
    for u in people.values():
        rows[u["opd_id"]]["people"] += 1
    for e in city.enrolments:
        u = people.get(e["user_id"])
        if u is None or not course_ok(e["course_id"]):
            continue
        if f.completed_to is not None and _local(e["enrolled_at"]) > f.completed_to:
            continue
        row = rows[u["opd_id"]]
        row["enrolled"] += 1
        row["not_started"] += e["status"] == "enrolled"
        row["in_progress"] += e["status"] == "in_progress"
        if e["status"] == "completed" and in_period(_local(e["completed_at"])):
            row["completed"] += 1
            if e["score"] is not None:
                row["score_sum"] += e["score"]
                row["score_count"] += 1
    for c in city.certificates:
        u = people.get(c["user_id"])
        if (
            u
            and not c["revoked"]
            and course_ok(c["course_id"])
            and in_period(_local(c["issued_at"]))
        ):
            rows[u["opd_id"]]["certificates"] += 1
            rows[u["opd_id"]]["jp"] += c["jp"]
    days = {d["id"]: d for d in city.days}
    for a in city.attendance:
        u, day = people.get(a["user_id"]), days[a["day_id"]]
        if u and course_ok(day["course_id"]) and in_period(day["date"]):
            rows[u["opd_id"]]["attendees"].add(u["id"])
    listed = {o["id"] for o in city.opds if o["active"]} | set(rows)
    if f.opd_id is not None:
        listed = {f.opd_id}
    return {opd_id: rows[opd_id] for opd_id in listed}


def _expected_weeks(city: City, f: ReportFilter) -> list[int]:
    starts = week_starts(f.completed_to or TODAY, 12)
    counts = [0] * 12
    people = {
        u["id"]
        for u in city.users
        if u["active"]
        and u["opd_id"] is not None
        and (f.status == "all" or u["status"] == f.status)
        and (f.opd_id is None or u["opd_id"] == f.opd_id)
    }
    audience = {i: aud for i, (_, aud, _, _) in enumerate(COURSES, start=1)}
    for e in city.enrolments:
        if e["status"] != "completed" or e["user_id"] not in people:
            continue
        if f.course_id is not None and e["course_id"] != f.course_id:
            continue
        if f.audience != "all" and audience[e["course_id"]] != f.audience:
            continue
        day = _local(e["completed_at"])
        if f.completed_from and day < f.completed_from or f.completed_to and day > f.completed_to:
            continue
        for i, start in enumerate(starts):
            if start <= day < start + timedelta(days=7):
                counts[i] += 1
    return counts


def _expected_jp(city: City, year: int, opd_id: int | None, status: str):
    asn = {
        u["id"]: u
        for u in city.users
        if u["active"]
        and u["opd_id"] is not None
        and u["status"] in (ASN_STATUSES if status == "all" else (status,))
        and (opd_id is None or u["opd_id"] == opd_id)
    }
    per_person = {uid: 0 for uid in asn}
    quarters: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    categories: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in city.certificates:
        day = _local(c["issued_at"])
        if c["revoked"] or c["user_id"] not in asn or day.year != year:
            continue
        per_person[c["user_id"]] += c["jp"]
        quarters[asn[c["user_id"]]["opd_id"]][(day.month - 1) // 3] += c["jp"]
        category = COURSES[c["course_id"] - 1][3] or NO_CATEGORY
        categories[category][0] += 1
        categories[category][1] += c["jp"]
    by_opd: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for uid, jp in per_person.items():
        by_opd[asn[uid]["opd_id"]][0] += 1
        by_opd[asn[uid]["opd_id"]][1] += jp >= JP_TARGET
    return per_person, by_opd, quarters, categories


def _check_summary_and_weeks(db, city: City, f: ReportFilter) -> None:
    """opd_summary and weekly_completions for `f` against the plain computation."""
    summary = opd_summary(db, f)
    expected = _expected_summary(city, f)
    assert {r.opd_id for r in summary.rows} == set(expected)
    for r in summary.rows:
        e = expected[r.opd_id]
        assert (r.people, r.enrolled, r.not_started, r.in_progress, r.completed) == (
            e["people"],
            e["enrolled"],
            e["not_started"],
            e["in_progress"],
            e["completed"],
        ), r.name
        assert r.score_count == e["score_count"]
        assert r.score_sum == pytest.approx(e["score_sum"], abs=1e-6)
        assert (r.certificates, r.jp) == (e["certificates"], e["jp"])
        assert r.bimtek_attendees == len(e["attendees"])
        if e["enrolled"]:
            assert r.completion_percent == pytest.approx(e["completed"] * 100 / e["enrolled"])
        else:
            assert r.completion_percent is None
    t = summary.totals
    assert t.people == sum(e["people"] for e in expected.values())
    assert t.enrolled == sum(e["enrolled"] for e in expected.values())
    assert t.not_started == sum(e["not_started"] for e in expected.values())
    assert t.completed == sum(e["completed"] for e in expected.values())
    assert t.jp == sum(e["jp"] for e in expected.values())
    scored = sum(e["score_count"] for e in expected.values())
    if scored:
        expected_avg = sum(e["score_sum"] for e in expected.values()) / scored
        assert t.average_score == pytest.approx(expected_avg)
    else:
        assert t.average_score is None

    weeks = weekly_completions(db, f, today=TODAY)
    assert [w.completed for w in weeks] == _expected_weeks(city, f)
    assert weeks[-1].start == week_start(f.completed_to or TODAY)


def _change(db, city: City, data) -> None:
    """A few changes after the city is stored, made the way services and bulk updates
    make them, mirrored in `city`: people move, change status or leave, certificates are
    revoked (or restored), enrolments complete or are deleted."""
    kinds = ["move", "status", "active", "revoke", "complete", "delete"]
    for _ in range(data.draw(st.integers(0, 4), label="changes")):
        kind = data.draw(st.sampled_from(kinds), label="change")
        if kind in ("move", "status", "active") and city.users:
            u = data.draw(st.sampled_from(city.users))
            if kind == "move":
                u["opd_id"] = data.draw(st.sampled_from([*(o["id"] for o in city.opds), None]))
            elif kind == "status":
                u["status"] = data.draw(st.sampled_from(STATUSES))
            else:
                u["active"] = not u["active"]
            db.execute(
                update(User)
                .where(User.id == u["id"])
                .values(opd_id=u["opd_id"], employment_status=u["status"], active=u["active"])
            )
        elif kind == "revoke" and city.certificates:
            c = data.draw(st.sampled_from(city.certificates))
            c["revoked"] = not c["revoked"]
            db.execute(
                update(Certificate)
                .where(Certificate.id == c["id"])
                .values(revoked_at=c["issued_at"] if c["revoked"] else None)
            )
        elif kind == "complete" and (open_ := [e for e in city.enrolments if not e["score"]]):
            e = data.draw(st.sampled_from(open_))
            e.update(
                status="completed",
                completed_at=data.draw(instant),
                score=data.draw(st.integers(0, 10000).map(lambda n: n / 100)),
            )
            db.execute(
                update(Enrolment)
                .where(Enrolment.id == e["id"])
                .values(status="completed", completed_at=e["completed_at"], final_score=e["score"])
            )
        elif kind == "delete" and city.enrolments:
            e = data.draw(st.sampled_from(city.enrolments))
            db.execute(delete(Certificate).where(Certificate.enrolment_id == e["id"]))
            db.execute(delete(Enrolment).where(Enrolment.id == e["id"]))
            city.certificates = [c for c in city.certificates if c["enrolment_id"] != e["id"]]
            city.enrolments.remove(e)
    db.commit()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(city=cities(), data=st.data())
def test_every_figure_matches_a_plain_computation(db, city, data):
    _store(db, city)
    _change(db, city, data)
    course_id, audience, status, (start, end), scope = data.draw(filters_for(city))
    year = data.draw(st.sampled_from([2025, 2026, 2027]))
    scope = scope if scope is not None and scope <= len(city.opds) else None
    f = ReportFilter(
        course_id=course_id,
        course_slug=COURSES[course_id - 1][0] if course_id else None,
        audience=audience,
        status=status,
        completed_from=start,
        completed_to=end,
        opd_id=scope,
    )

    # Both ways of counting: the drawn filter (live when it has a period) and the same
    # filter without a period (the rollups the triggers maintained through the inserts,
    # the deletes of the previous example and the changes above).
    _check_summary_and_weeks(db, city, f)
    _check_summary_and_weeks(db, city, replace(f, completed_from=None, completed_to=None))
    assert rollups.differences(db) == []

    jp_status = status if status != "NON_ASN" else "all"
    report = jp_year(db, year, scope, status=jp_status)
    per_person, by_opd, quarters, categories = _expected_jp(city, year, scope, jp_status)
    for row in report.opds:
        assert (row.people, row.met_target) == tuple(by_opd.get(row.opd_id, [0, 0]))
        assert list(row.quarters) == quarters.get(row.opd_id, [0, 0, 0, 0])
    assert report.totals.people == len(per_person)
    assert report.totals.jp == sum(per_person.values())
    assert {c.category: [c.certificates, c.jp] for c in report.categories} == dict(categories)

    everyone = jp_people(db, year, scope, status=jp_status, per_page=100)
    assert everyone.total == len(per_person)
    assert sorted((p.user_id, p.jp) for p in everyone.items) == sorted(per_person.items())
    assert [p.jp for p in everyone.items] == sorted(p.jp for p in everyone.items)
    below = jp_people(db, year, scope, status=jp_status, below_target=True)
    assert below.total == sum(jp < JP_TARGET for jp in per_person.values())


# ---------------------------------------------------------------------------- fixed cases


def _small_city(db, people):
    cpns = make_course(db, "orientasi", audience="cpns", jp=10)
    umum = make_course(db, "etika", audience="umum", jp=4, category="sosial-kultural")
    day = date(2026, 3, 10)
    complete(db, people.alice, cpns, at=jakarta(day), score=90)
    complete(db, people.olga, cpns, at=jakarta(day), score=70)
    make_enrolment(db, people.kiki, cpns, status="in_progress", enrolled_at=jakarta(day))
    make_enrolment(
        db,
        people.bob,
        cpns,
        enrolled_at=jakarta(date(2026, 1, 5)),
        source="assigned",
        due_date=date(2026, 2, 1),
    )
    complete(db, people.bob, umum, at=jakarta(day), score=60, revoked=True)
    db.commit()
    return cpns, umum


def test_sorting_puts_empty_values_last_and_breaks_ties_by_name(db, people):
    _small_city(db, people)
    by_percent = opd_summary(db, ReportFilter(sort="persen", desc=True))
    assert [r.code for r in by_percent.rows] == ["DISKOMINFO", "BAPPEDA"]
    ascending = opd_summary(db, ReportFilter(sort="persen"))
    assert [r.code for r in ascending.rows] == ["BAPPEDA", "DISKOMINFO"]
    db.add(Opd(code="BARU", name="Badan Baru"))  # an active OPD with no one in it yet
    db.commit()
    with_empty = opd_summary(db, ReportFilter(sort="nilai", desc=True))
    assert [r.code for r in with_empty.rows] == ["DISKOMINFO", "BAPPEDA", "BARU"]
    assert with_empty.rows[-1].average_score is None and with_empty.rows[-1].people == 0


def test_scope_and_lookups(db, people):
    cpns, _ = _small_city(db, people)
    opd_a = OpdScope(people.opd_a.id, whole_city=False)
    f = build_filter(db, {"kursus": "orientasi"}, scope=opd_a)
    assert f.course_id == cpns.id and f.opd_id == people.opd_a.id
    with pytest.raises(NotAllowed):
        build_filter(db, {"opd": str(people.opd_b.id)}, scope=opd_a)
    with pytest.raises(FilterError, match="tidak ditemukan"):
        build_filter(db, {"kursus": "tidak-ada"}, scope=WHOLE_CITY)
    with pytest.raises(NotAllowed):
        opd_people(db, f, people.opd_b.id)
    with pytest.raises(NotFound):
        opd_people(db, f, 999999)
    with pytest.raises(NotAllowed):
        person_record(db, people.bob.id, scope=opd_a)
    assert read_scope(people.olga).limited_to == people.opd_a.id
    assert read_scope(people.kiki).limited_to is None


def test_drill_down_not_started_person_and_history(db, people):
    cpns, umum = _small_city(db, people)
    page = opd_people(db, ReportFilter(), people.opd_a.id, per_page=2)
    assert page.total == 4 and page.pages == 2 and len(page.items) == 2
    everyone = list(
        each_item(lambda n: opd_people(db, ReportFilter(), people.opd_a.id, page=n, per_page=2))
    )
    assert [p.name for p in everyone] == sorted(p.name for p in everyone)
    alice = next(p for p in everyone if p.user_id == people.alice.id)
    assert alice.enrolments[0].status == "completed" and alice.enrolments[0].final_score == 90
    assert alice.enrolments[0].certificate_serial

    late = not_started(db, ReportFilter(), today=date(2026, 3, 1))
    assert [(r.name, r.days_overdue) for r in late.items] == [("Bob Saputra", 28)]
    assert not_started(db, ReportFilter(), today=date(2026, 2, 1)).total == 0

    record = person_record(db, people.bob.id, scope=WHOLE_CITY)
    assert {e.course_slug for e in record.enrolments} == {"orientasi", "etika"}
    assert record.jp_by_year == []  # the only certificate is revoked

    history = list(training_history(db, ReportFilter()))
    assert [(h.name, h.jp) for h in history] == [("Alice Rahmawati", 10), ("Olga Siregar", 10)]
    assert history[0].completed_on == date(2026, 3, 10)
    assert history[0].started_on == date(2026, 2, 28)
    one = list(training_history(db, ReportFilter(), user_id=people.olga.id))
    assert [h.name for h in one] == ["Olga Siregar"]
