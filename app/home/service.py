"""What each role sees first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.opds.models import Opd
from app.users.models import Role, User


def staff_summary(db: Session, *, user: User) -> dict[str, Any]:
    """Head counts for the OPDs this staff member may see."""
    people = select(func.count()).select_from(User).where(User.active.is_(True))
    opds = select(func.count()).select_from(Opd).where(Opd.active.is_(True))
    if not user.has_role(Role.kominfo, Role.admin):
        people = people.where(User.opd_id == user.opd_id)
        opds = opds.where(Opd.id == user.opd_id)
    return {"people": db.scalar(people), "opds": db.scalar(opds)}


def home_context(db: Session, *, user: User) -> dict[str, Any]:
    ctx: dict[str, Any] = {"is_staff": user.has_role(Role.opd_admin, Role.kominfo, Role.admin)}
    if ctx["is_staff"]:
        ctx["summary"] = staff_summary(db, user=user)
    ctx["is_admin"] = user.has_role(Role.admin)
    return ctx
