"""The weekly trend: completions per week (Monday–Sunday in the city's time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import citytime
from app.progress.models import Enrolment
from app.reports import rollups
from app.reports.filters import ReportFilter
from app.reports.models import ReportWeekRollup
from app.reports.periods import week_starts
from app.reports.selection import courses, people, rollup_keys
from app.users.models import User


@dataclass(frozen=True)
class WeekCount:
    start: date  # Monday, in the city's time zone
    completed: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


def weekly_completions(
    db: Session, f: ReportFilter, *, today: date, weeks: int = 12
) -> list[WeekCount]:
    """Completions per week for the `weeks` weeks ending with the week of the period's
    end, or of `today` when the period is open.

    Without a period the counts come from the weekly rollups (kept exact by triggers, in
    the zone they were computed in: checked first); a period can cut a week in half, so
    then it is counted live.
    """
    starts = week_starts(f.completed_to or today, weeks)
    if not f.has_period:
        rollups.ensure_zone(db)
        w = ReportWeekRollup
        counts = dict(
            db.execute(
                select(w.week_start, func.sum(w.completions))
                .where(
                    w.week_start >= starts[0],
                    w.week_start <= starts[-1],
                    *rollup_keys(f, w),
                )
                .group_by(w.week_start)
            ).all()
        )
        return [WeekCount(start=d, completed=int(counts.get(d, 0))) for d in starts]
    bounds = [citytime.start_of(d) for d in [*starts, starts[-1] + timedelta(days=7)]]
    lo, hi = bounds[0], bounds[-1]
    start, end = f.period_utc()
    lo = max(lo, start) if start else lo
    hi = min(hi, end) if end else hi
    if lo >= hi:
        return [WeekCount(start=d, completed=0) for d in starts]
    counts = db.execute(
        select(
            *(
                func.count().filter(
                    Enrolment.completed_at >= bounds[i], Enrolment.completed_at < bounds[i + 1]
                )
                for i in range(weeks)
            )
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(
            # completed_at is set exactly when an enrolment completes, and completion is
            # never undone (progress.service.recompute), so the time range alone selects
            # completions; a status test here would lure SQLite onto the status index.
            Enrolment.completed_at >= lo,
            Enrolment.completed_at < hi,
            *people(f),
            *courses(f, Enrolment.course_id),
        )
    ).one()
    return [WeekCount(start=d, completed=n) for d, n in zip(starts, counts, strict=True)]
