"""Audit log viewer (admins): who did what, when, from where."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import func, select

from app import citytime
from app.audit.models import AuditEvent
from app.audit.sentences import action_name, sentences
from app.auth.deps import Admin
from app.users.models import User
from app.web import SessionDep, render

router = APIRouter()
PAGE = 100


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(422, f"Tanggal '{name}' tidak valid (format YYYY-MM-DD).") from exc


@router.get("/admin/audit")
def audit_log(
    request: Request,
    db: SessionDep,
    user: Admin,
    pengguna: str = "",
    aksi: str = "",
    dari: str | None = None,
    sampai: str | None = None,
    page: int = 1,
):
    stmt = select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
    if pengguna.strip():
        needle = pengguna.strip()
        stmt = stmt.where(
            (User.nip == needle) | (func.lower(User.full_name).like(f"%{needle.lower()}%"))
        )
    if aksi.strip():
        stmt = stmt.where(AuditEvent.action.startswith(aksi.strip()))
    start, end = _day(dari, "dari"), _day(sampai, "sampai")
    if start:
        stmt = stmt.where(AuditEvent.at >= citytime.start_of(start))
    if end:
        stmt = stmt.where(AuditEvent.at < citytime.start_of(end + timedelta(days=1)))
    page = max(page, 1)
    rows = db.execute(
        stmt.order_by(AuditEvent.id.desc()).limit(PAGE + 1).offset((page - 1) * PAGE)
    ).all()
    actions = db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return render(
        request,
        "admin/audit.html",
        {
            "rows": list(zip(rows[:PAGE], sentences(db, rows[:PAGE]), strict=True)),
            "more": len(rows) > PAGE,
            "page": page,
            "actions": [(a, action_name(a)) for a in actions],
            "filters": {
                "pengguna": pengguna,
                "aksi": aksi,
                "dari": dari or "",
                "sampai": sampai or "",
            },
        },
        block="results",
    )
