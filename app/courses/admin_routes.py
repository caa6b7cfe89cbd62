"""Admin: the loaded courses, the last sync's problems, and re-sync from the web."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from app.audit.service import record
from app.auth.deps import Admin
from app.courses.models import Course
from app.courses.sync import last_run, sync_courses
from app.web import SessionDep, client_ip, redirect_after_post, render

router = APIRouter()


@router.get("/admin/kursus")
def courses_admin(request: Request, db: SessionDep, user: Admin):
    courses = db.scalars(select(Course).order_by(Course.archived, Course.title)).all()
    return render(request, "admin/courses.html", {"courses": courses, "run": last_run(db)})


@router.post("/admin/kursus/sinkron")
def resync(request: Request, db: SessionDep, user: Admin):
    report = sync_courses(
        db,
        root=request.app.state.settings.courses_dir,
        now=request.app.state.clock(),
        actor_id=user.id,
    )
    record(
        db,
        action="courses.sync",
        actor_id=user.id,
        ip=client_ip(request),
        errors=len(report.errors),
        **report.summary(),
    )
    db.commit()
    return redirect_after_post(request, "/admin/kursus")
