"""The request's database session, as a FastAPI dependency (app/db.py knows no HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
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
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
