"""What each role sees first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotAllowed
from app.opds.models import Opd
from app.progress.models import Enrolment, EnrolmentStatus
from app.progress.service import my_enrolments
from app.users.models import Role, User
from app.users.scope import NOTHING, read_scope


def staff_summary(db: Session, *, user: User) -> dict[str, Any]:
    """Head counts for the OPDs this staff member may see (an OPD admin: their own)."""
    people = select(func.count()).select_from(User).where(User.active.is_(True))
    opds = select(func.count()).select_from(Opd).where(Opd.active.is_(True))
    enrolments = (
        select(func.count(), func.count().filter(Enrolment.status == EnrolmentStatus.completed))
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
    )
    try:
        scope = read_scope(user)
    except NotAllowed:  # an OPD admin not yet linked to an OPD sees zeros, not an error
        scope = NOTHING
    people = people.where(scope.where(User.opd_id))
    opds = opds.where(scope.where(Opd.id))
    enrolments = enrolments.where(scope.where(User.opd_id))
    enrolled, completed = db.execute(enrolments).one()
    return {
        "people": db.scalar(people),
        "opds": db.scalar(opds),
        "enrolled": enrolled,
        "completed": completed,
    }


def home_context(db: Session, *, user: User) -> dict[str, Any]:
    is_staff = user.has_role(Role.opd_admin, Role.kominfo, Role.admin)
    return {
        "is_staff": is_staff,
        "is_admin": user.has_role(Role.admin),
        "summary": staff_summary(db, user=user) if is_staff else None,
        "enrolments": my_enrolments(db, user_id=user.id),
    }
