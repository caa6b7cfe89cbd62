from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.audit.models import AuditEvent


def record(
    db: Session,
    *,
    action: str,
    actor_id: int | None = None,
    target: str | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (it commits with the change it records)."""
    event = AuditEvent(action=action, actor_id=actor_id, target=target, ip=ip, detail=detail)
    db.add(event)
    return event
