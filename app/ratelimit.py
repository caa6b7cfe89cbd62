"""Fixed-window rate limits counted in SQL, so the limit holds across worker processes."""

from __future__ import annotations

import zlib
from datetime import datetime

from sqlalchemy import Integer, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, write_locked


class RateLimitHit(Base):
    __tablename__ = "rate_limit_hits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


SWEEP_ONE_IN = 64


def hit(db: Session, *, key: str, limit: int, window_seconds: int, now: datetime) -> bool:
    """Count one request for `key`; False when the limit for this window is exceeded."""
    window = int(now.timestamp()) // window_seconds
    write_locked(db)
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(RateLimitHit).values(key=key[:200], window=window, count=1)
    count = db.execute(
        stmt.on_conflict_do_update(
            index_elements=["key", "window"], set_={"count": RateLimitHit.count + 1}
        ).returning(RateLimitHit.count)
    ).scalar_one()
    if count == 1 and zlib.crc32(key.encode()) % SWEEP_ONE_IN == window % SWEEP_ONE_IN:
        # Forget windows long gone. The DELETE scans the table, so only about one key's
        # first hit in SWEEP_ONE_IN does it (with visitors from many addresses every hit
        # is a first hit, and sweeping on each made public verification crawl).
        db.execute(delete(RateLimitHit).where(RateLimitHit.window < window - 10))
    db.commit()
    return count <= limit
