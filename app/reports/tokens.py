"""API tokens: create (the secret is shown once), list, revoke, authenticate.

A token works only while the admin who created it is an active admin: deactivating the
person (or taking the admin role away, or deleting the account) stops their tokens, as it
stops their sessions.

A token looks like `ckp_<prefix>_<secret>`. Only the SHA-256 of the whole token is stored:
the token has 256 random bits, so a fast hash is enough (no password hashing needed), and a
lookup by hash needs no constant-time comparison of secrets.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.opds.models import Opd
from app.reports.models import ApiToken
from app.users.models import Role, User
from app.users.scope import WHOLE_CITY, OpdScope

TOKEN_PREFIX = "ckp_"  # noqa: S105 - a public marker, not a secret
SCOPE_READ = "read"
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
NAME_MAX = 100


class TokenError(ValueError):
    pass


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once; never stored


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    db: Session,
    *,
    name: str,
    opd_id: int | None,
    actor: User,
    now: datetime,
    ip: str | None = None,
) -> NewToken:
    """Create a read-only token (optionally limited to one OPD) and audit it."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise TokenError(f"Nama token wajib diisi (maksimal {NAME_MAX} karakter).")
    if opd_id is not None and db.get(Opd, opd_id) is None:
        raise TokenError("OPD yang dipilih tidak ada.")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        name=name,
        prefix=prefix,
        token_hash=hash_token(secret),
        scope=SCOPE_READ,
        opd_id=opd_id,
        created_by=actor.id,
        created_at=now,
    )
    db.add(token)
    db.flush()
    record(
        db,
        action="api_token.created",
        actor_id=actor.id,
        target=f"api_token:{token.id}",
        ip=ip,
        name=name,
        prefix=prefix,
        opd_id=opd_id,
    )
    db.commit()
    return NewToken(token=token, secret=secret)


def all_tokens(db: Session) -> list[tuple[ApiToken, str | None]]:
    """Every token with its creator's name, newest first."""
    return [
        (token, creator)
        for token, creator in db.execute(
            select(ApiToken, User.full_name)
            .outerjoin(User, User.id == ApiToken.created_by)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    ]


def revoke(db: Session, *, token: ApiToken, actor: User, now: datetime, ip: str | None) -> None:
    """Revoke (idempotent: revoking twice keeps the first time)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = now
    record(
        db,
        action="api_token.revoked",
        actor_id=actor.id,
        target=f"api_token:{token.id}",
        ip=ip,
        name=token.name,
        prefix=token.prefix,
    )
    db.commit()


def scope(token: ApiToken) -> OpdScope:
    """What the token reads: the whole city, or the one OPD it was created for."""
    return WHOLE_CITY if token.opd_id is None else OpdScope(token.opd_id, whole_city=False)


def authenticate(db: Session, secret: str, *, now: datetime) -> ApiToken | None:
    """The live token for `secret`, or None. Records use at most once a minute.

    Live: not revoked, and its creator is still an active admin."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = db.execute(
        select(ApiToken, User)
        .outerjoin(User, User.id == ApiToken.created_by)
        .where(ApiToken.token_hash == hash_token(secret))
    ).first()
    if row is None:
        return None
    token, creator = row
    if token.revoked_at is not None or token.scope != SCOPE_READ:
        return None
    if creator is None or not creator.active or not creator.has_role(Role.admin):
        return None
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at < stale:
        # Conditional, so parallel requests of one client write once between them.
        db.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale),
            )
            .values(last_used_at=now)
        )
        db.commit()
        db.refresh(token)
    return token
