"""Answer keys on the monitoring page: who may see them, and who has (and may not sit the quiz).

Every account holds `learner`, so anyone who reads a quiz's key could then take it. Only
admins (the course authors) are shown keys; monitors get pick rates without them. A person
who has been shown a key is recorded once per quiz and refused an attempt on it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.quizzes.models import QuizKeyView
from app.users.models import Role, User


def may_see_keys(user: User) -> bool:
    return user.has_role(Role.admin)


def record_view(db: Session, *, user_id: int, quiz_id: int, now: datetime) -> None:
    """Remember that the person saw the key (insert-if-absent: repeat views change nothing).

    Not committed. Runs on a GET, so it must be idempotent and safe under concurrent views."""
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.execute(
        insert(QuizKeyView)
        .values(user_id=user_id, quiz_id=quiz_id, viewed_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "quiz_id"])
    )


def has_seen(db: Session, *, user_id: int, quiz_id: int) -> bool:
    return (
        db.scalar(
            select(QuizKeyView.user_id).where(
                QuizKeyView.user_id == user_id, QuizKeyView.quiz_id == quiz_id
            )
        )
        is not None
    )
