"""Course assignment rules (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.auth.deps import Admin
from app.i18n import gettext as _
from app.progress import rules as service
from app.web import FormDep, SessionDep, client_ip, redirect_after_post, render

router = APIRouter()


def _page(request, db, **extra):
    return render(
        request,
        "admin/rules.html",
        {**service.page_data(db), **extra},
        status_code=422 if extra.get("error") else 200,
    )


@router.get("/admin/aturan")
def rules(request: Request, db: SessionDep, user: Admin):
    return _page(request, db)


@router.post("/admin/aturan")
def create_rule(request: Request, form: FormDep, db: SessionDep, user: Admin):
    try:
        spec = service.parse_rule(form)
        _rule, course, count = service.create_rule(
            db, actor=user, spec=spec, now=request.app.state.clock(), ip=client_ip(request)
        )
    except service.RuleInvalid as exc:
        return _page(request, db, error=str(exc))
    flash = _("Aturan dibuat; %(n)s pegawai ditugaskan kursus %(course)s.") % {
        "n": count,
        "course": course.title,
    }
    return _page(request, db, flash=flash)


def _switch(request: Request, db, user, rule_id: int, *, active: bool):
    service.set_active(
        db,
        actor=user,
        rule_id=rule_id,
        active=active,
        now=request.app.state.clock(),
        ip=client_ip(request),
    )
    return redirect_after_post(request, "/admin/aturan")


@router.post("/admin/aturan/{rule_id}/nonaktif")
def deactivate(request: Request, db: SessionDep, user: Admin, rule_id: int):
    return _switch(request, db, user, rule_id, active=False)


@router.post("/admin/aturan/{rule_id}/aktif")
def reactivate(request: Request, db: SessionDep, user: Admin, rule_id: int):
    """Switch a rule back on (e.g. a course's default rule switched off by mistake)."""
    return _switch(request, db, user, rule_id, active=True)
