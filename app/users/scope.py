"""Who may manage whom: the one place for the people-management rule.

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

from sqlalchemy import ColumnElement, and_, exists, false, not_, select, true

from app.users.models import Role, User, UserRole

ROLE_RANK: dict[Role, int] = {
    Role.learner: 0,
    Role.opd_admin: 1,
    Role.kominfo: 2,
    Role.admin: 3,
}


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
    if actor.has_role(Role.admin):
        return True
    return actor.has_role(Role.opd_admin) and actor.opd_id is not None and opd_id == actor.opd_id


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
    if actor.has_role(Role.admin):
        in_scope = true()
    elif actor.has_role(Role.opd_admin) and actor.opd_id is not None:
        in_scope = User.opd_id == actor.opd_id
    else:
        return false()
    peer_or_higher = exists(
        select(UserRole.id).where(
            UserRole.user_id == User.id, UserRole.role.in_(_roles_at_or_above(rank(actor)))
        )
    )
    return and_(in_scope, User.id != actor.id, not_(peer_or_higher))
