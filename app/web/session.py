"""The request's database session, as a FastAPI dependency (app/db.py knows no HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, used by the route in FastAPI's threadpool.

    An async generator on purpose: FastAPI runs a sync generator's cleanup in the same
    threadpool, so when every pool thread waits for a database connection (more
    concurrent requests than connections) no thread is left to close a session and give
    its connection back — every request then hangs until the pool times out (30 s; found
    by the answer-save benchmark). Closing is a rollback and a pool check-in: quick
    enough for the event loop.
    """
    session = request.app.state.sessionmaker()
    # Kept for what renders inside the route without being passed it (the header's
    # notification count), so that no second connection is taken while this one is held.
    request.state.db = session
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


class EventLoopReader:
    """A connection of the app's engine kept for short reads on the event loop: the
    session lookup every page starts with, which then costs no thread hop of its own
    (FastAPI runs a plain `def` dependency in its threadpool, and then the route in
    another hop: two thread switches per page, a tenth of the module page's time).

    Only on SQLite: a read in WAL mode never waits for a writer, and this connection is
    the loop's alone, so the loop never waits for the pool either (which the threads
    refill from the loop: waiting there could deadlock). On PostgreSQL every read is a
    network round trip that must not stall the loop, so there is no reader. Writes never
    happen here: whoever needs one goes to a thread."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.conn: Connection | None = None

    @classmethod
    def for_engine(cls, engine: Engine) -> EventLoopReader | None:
        return cls(engine) if engine.dialect.name == "sqlite" else None

    def connection(self) -> Connection:
        if self.conn is None or self.conn.closed or self.conn.invalidated:
            self.conn = self.engine.connect()
        return self.conn

    def failed(self) -> None:
        """After an error: drop the connection; the next read opens a new one."""
        if self.conn is not None:
            self.conn.invalidate()
            self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
