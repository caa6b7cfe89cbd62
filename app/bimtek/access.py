"""Who may do what with a bimtek session, beyond the OPD scope rule of app/users/scope.py.

OPD data (nominations, people, lists) is scoped by `read_scope` / `act_scope` like every
other domain. What only bimtek knows: Diskominfo and admins monitor every session, a
session's facilitators run its check-in and print its lists.
"""

from __future__ import annotations

from app.bimtek.models import BimtekSession
from app.errors import NotAllowed
from app.i18n import gettext as _
from app.users.models import Role, User
from app.users.scope import WHOLE_CITY, OpdScope, may_act_on_opd, read_scope


class BimtekError(Exception):
    """A refusal to show the user (Bahasa Indonesia message)."""


def is_monitor(user: User) -> bool:
    return user.has_role(Role.admin, Role.kominfo)


def is_facilitator(user: User, session: BimtekSession) -> bool:
    return any(f.id == user.id for f in session.facilitators)


def can_run_checkin(user: User, session: BimtekSession) -> bool:
    return is_monitor(user) or is_facilitator(user, session)


def document_scope(user: User, session: BimtekSession) -> OpdScope:
    """Who may print a session's lists: facilitators and monitors all rows, OPD admins theirs."""
    if can_run_checkin(user, session):
        return WHOLE_CITY
    return read_scope(user)


def check_acts_for(actor: User, opd_id: int | None) -> None:
    """NotAllowed unless the actor may act on people of this OPD (admins: every OPD)."""
    if not may_act_on_opd(actor, opd_id):
        raise NotAllowed(_("Anda hanya dapat mengelola peserta dari OPD Anda sendiri."))
