"""Who may see and act on which OPD, and who may manage whom: the one place for both rules.

OPD data (reports, bimtek nominations, certificates, people lists) is scoped by
`read_scope` (kominfo and admins read the whole city, an OPD admin their own OPD) and
`act_scope` (admins act everywhere, an OPD admin in their own OPD; kominfo monitors and
acts nowhere). Both return an `OpdScope` whose `where(column)` is the SQL condition.

Roles are ordered learner < opd_admin < kominfo < admin. A person may manage (reset
access, (de)activate, issue activation codes, move between OPDs, set roles) only people
ranked strictly below their own highest role: an OPD admin who shares an OPD with the
city admin must not be able to reset the admin's access and log in as them. OPD admins
act within their own OPD, admins in every OPD; kominfo gives no management right.

One exception, never a single click: an admin may manage another admin (or their own
account) after re-entering their own password (`Management.reauthenticate`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, not_, select, true

from app.errors import NotAllowed
from app.i18n import gettext as _
from app.users.models import Role, User, UserRole

ROLE_RANK: dict[Role, int] = {
    Role.learner: 0,
    Role.opd_admin: 1,
    Role.kominfo: 2,
    Role.admin: 3,
}


@dataclass(frozen=True)
class OpdScope:
    """The OPDs a person may read or act on: the whole city, or exactly one OPD."""

    opd_id: int | None  # None with whole_city
    whole_city: bool

    def allows(self, opd_id: int | None) -> bool:
        return self.whole_city or (opd_id is not None and opd_id == self.opd_id)

    def where(self, column) -> ColumnElement[bool]:
        """SQL condition on an OPD id column (e.g. `User.opd_id`)."""
        if self.whole_city:
            return true()
        return column == self.opd_id if self.opd_id is not None else false()

    @property
    def limited_to(self) -> int | None:
        """The one OPD this scope is limited to, None for the whole city."""
        return None if self.whole_city else self.opd_id


WHOLE_CITY = OpdScope(None, True)
NOTHING = OpdScope(None, False)  # e.g. an OPD admin whose account has no OPD yet


def _own_opd(user: User, message: str) -> OpdScope:
    if user.has_role(Role.opd_admin):
        if user.opd_id is None:
            raise NotAllowed(_("Akun Anda belum terhubung ke OPD mana pun."))
        return OpdScope(user.opd_id, False)
    raise NotAllowed(message)


def read_scope(user: User) -> OpdScope:
    """Whose OPD data the person may see: kominfo and admins the city, an OPD admin theirs."""
    if user.has_role(Role.kominfo, Role.admin):
        return WHOLE_CITY
    return _own_opd(user, _("Anda tidak memiliki akses ke halaman ini."))


def act_scope(user: User) -> OpdScope:
    """Where the person may change OPD data: admins everywhere, an OPD admin in their OPD.

    Diskominfo monitors and does not act on OPD data (it runs bimtek sessions, which are
    city-wide and checked by their own rules).
    """
    if user.has_role(Role.admin):
        return WHOLE_CITY
    return _own_opd(user, _("Anda hanya dapat mengelola data OPD Anda sendiri."))


def may_read_opd(user: User, opd_id: int | None) -> bool:
    try:
        return read_scope(user).allows(opd_id)
    except NotAllowed:
        return False


def may_act_on_opd(user: User, opd_id: int | None) -> bool:
    try:
        return act_scope(user).allows(opd_id)
    except NotAllowed:
        return False


class Management(enum.Enum):
    refused = "refused"
    allowed = "allowed"
    reauthenticate = "reauthenticate"  # admin over admin: re-enter own password first


def rank(user: User) -> int:
    """The rank of the person's highest role."""
    return max((ROLE_RANK[role] for role in user.roles), default=ROLE_RANK[Role.learner])


def _roles_at_or_above(level: int) -> list[Role]:
    return [role for role, role_rank in ROLE_RANK.items() if role_rank >= level]


def manages_opd(actor: User, opd_id: int | None) -> bool:
    """Whether the actor administers the people of this OPD at all (admins: every OPD)."""
    return may_act_on_opd(actor, opd_id)


def in_opd_scope(actor: User, person: User) -> bool:
    """Whether the person is in the part of the city the actor administers people of."""
    return manages_opd(actor, person.opd_id)


def management(actor: User, person: User) -> Management:
    """What the actor may do to the person's account: nothing, act, or act after a password."""
    if not in_opd_scope(actor, person):
        return Management.refused
    if actor.id != person.id and rank(person) < rank(actor):
        return Management.allowed
    if actor.has_role(Role.admin):
        # Another admin, or the admin's own account: a peer, so never in a single click.
        return Management.reauthenticate
    return Management.refused


def may_manage(actor: User, person: User) -> bool:
    """Manage without further confirmation: same scope and a strictly lower rank."""
    return management(actor, person) is Management.allowed


def manageable_condition(actor: User) -> ColumnElement[bool]:
    """SQL condition on `User`: the people `actor` may manage (see `may_manage`)."""
    try:
        in_scope = act_scope(actor).where(User.opd_id)
    except NotAllowed:
        return false()
    peer_or_higher = exists(
        select(UserRole.id).where(
            UserRole.user_id == User.id, UserRole.role.in_(_roles_at_or_above(rank(actor)))
        )
    )
    return and_(in_scope, User.id != actor.id, not_(peer_or_higher))
