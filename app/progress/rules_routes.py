"""Course assignment rules (admins)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select

from app.audit.service import record
from app.auth.deps import Admin
from app.courses.models import Course
from app.opds.models import Opd
from app.progress.assignment import apply_rules
from app.progress.models import AssignmentRule
from app.users.models import EmploymentStatus
from app.web import FormDep, SessionDep, client_ip, redirect_after_post, render

router = APIRouter()


def _page(request, db, **extra):
    return render(
        request,
        "admin/rules.html",
        {
            "rules": db.scalars(
                select(AssignmentRule).order_by(
                    AssignmentRule.active.desc(), AssignmentRule.id.desc()
                )
            ).all(),
            "courses": db.scalars(
                select(Course).where(Course.archived.is_(False)).order_by(Course.title)
            ).all(),
            "opds": db.scalars(select(Opd).where(Opd.active.is_(True)).order_by(Opd.name)).all(),
            "statuses": [s.value for s in EmploymentStatus],
            **extra,
        },
        status_code=422 if extra.get("error") else 200,
    )


@router.get("/admin/aturan")
def rules(request: Request, db: SessionDep, user: Admin):
    return _page(request, db)


@router.post("/admin/aturan")
def create_rule(request: Request, form: FormDep, db: SessionDep, user: Admin):
    course = (
        db.get(Course, int(form.get("course_id") or 0))
        if str(form.get("course_id", "")).isdigit()
        else None
    )
    if course is None:
        return _page(request, db, error="Pilih kursus.")
    try:
        opd_ids = sorted({int(v) for v in form.getlist("opd_ids")}) or None
        statuses = sorted({EmploymentStatus(v).value for v in form.getlist("statuses")}) or None
        due_days = int(form.get("due_days") or 30)
        tmt_year = int(form["tmt_year"]) if form.get("tmt_year") else None
    except ValueError:
        return _page(request, db, error="Isian aturan tidak valid.")
    if not 1 <= due_days <= 730 or (tmt_year is not None and not 1960 <= tmt_year <= 2100):
        return _page(request, db, error="Tenggat 1–730 hari; tahun TMT 1960–2100.")
    rule = AssignmentRule(
        course_id=course.id,
        opd_ids=opd_ids,
        statuses=statuses,
        tmt_year=tmt_year,
        due_days=due_days,
        created_by=user.id,
    )
    db.add(rule)
    db.flush()
    now = request.app.state.clock()
    count = apply_rules(db, now=now, rule_ids=[rule.id])
    record(
        db,
        action="rule.created",
        actor_id=user.id,
        target=course.slug,
        ip=client_ip(request),
        rule=rule.id,
        enrolled=count,
    )
    db.commit()
    return _page(
        request, db, flash=f"Aturan dibuat; {count} pegawai ditugaskan kursus {course.title}."
    )


@router.post("/admin/aturan/{rule_id}/nonaktif")
def deactivate(request: Request, db: SessionDep, user: Admin, rule_id: int):
    rule = db.get(AssignmentRule, rule_id)
    if rule is None:
        raise HTTPException(404)
    rule.active = False
    record(
        db, action="rule.deactivated", actor_id=user.id, target=str(rule.id), ip=client_ip(request)
    )
    db.commit()
    return redirect_after_post(request, "/admin/aturan")


@router.post("/admin/aturan/{rule_id}/aktif")
def reactivate(request: Request, db: SessionDep, user: Admin, rule_id: int):
    """Switch a rule back on (e.g. a course's default rule switched off by mistake); it then
    assigns whom it covers, like a new rule."""
    rule = db.get(AssignmentRule, rule_id)
    if rule is None:
        raise HTTPException(404)
    rule.active = True
    db.flush()
    count = apply_rules(db, now=request.app.state.clock(), rule_ids=[rule.id])
    record(
        db,
        action="rule.activated",
        actor_id=user.id,
        target=str(rule.id),
        ip=client_ip(request),
        enrolled=count,
    )
    db.commit()
    return redirect_after_post(request, "/admin/aturan")
