"""Engine, declarative base, sessions and the small SQL helpers every domain uses.

No HTTP here: the request-bound session dependency lives in app/web/session.py."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.files import touch_private

if TYPE_CHECKING:
    from app.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which forgets tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _WriterGate:
    """One SQLite write transaction at a time per process, queued on a Python lock.

    SQLite lets one writer in at a time; the others poll in its busy handler, sleeping
    1, 2, 5 … 100 ms between tries, so under load the write lock sits idle while every
    waiter sleeps (the answer-save benchmark had 14 threads asleep in BEGIN IMMEDIATE and
    one working). Waiting on a lock instead hands the database to the next writer the
    moment the previous one commits. Other processes (several workers, the CLI) are still
    kept out by SQLite itself: the gate only orders this process's own threads.
    """

    KEY = "cakap_sqlite_writer"

    def __init__(self, timeout: float):
        self.lock = threading.Lock()
        self.timeout = timeout

    def begin(self, conn) -> None:
        # pysqlite's own transaction handling is disabled (isolation_level=None below),
        # so SQLAlchemy emits BEGIN itself; IMMEDIATE when a unit of work asked for a
        # write lock.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        # Past the timeout, go on without the gate: SQLite's busy timeout still applies.
        if mode == "IMMEDIATE" and self.lock.acquire(timeout=self.timeout):
            conn.info[self.KEY] = True
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            self.release(conn.info)
            raise

    def release(self, info) -> None:
        if info.pop(self.KEY, False):
            self.lock.release()

    def listen(self, engine: Engine) -> None:
        event.listen(engine, "begin", self.begin)
        # Released just before COMMIT/ROLLBACK is sent: the next writer's BEGIN IMMEDIATE
        # may then wait for SQLite for a moment, which its busy timeout covers.
        event.listen(engine, "commit", lambda conn: self.release(conn.info))
        event.listen(engine, "rollback", lambda conn: self.release(conn.info))
        # A connection going back to the pool (or dropped) mid-transaction.
        event.listen(engine.pool, "reset", lambda _dbapi, record, _state: self.release(record.info))
        event.listen(
            engine.pool, "invalidate", lambda _dbapi, record, _exc: self.release(record.info)
        )


def make_engine(url: str, *, pool_size: int | None = None, **kwargs) -> Engine:
    """The engine, with a fixed-size pool: no overflow connections.

    Overflow connections are opened when the pool runs dry and closed again when they come
    back, so under load (more requests than `pool_size`) every request paid a fresh
    connection: a PostgreSQL backend fork, or SQLite's connect plus its pragmas (found by
    the module-page benchmark: 6 % of the worker's time in `_sqlite_pragmas`). A request
    that finds no free connection waits for one instead (sessions are closed on the event
    loop, so one always comes back).
    """
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            # SQLite would create the file under the umask (0644); its -wal and -shm files
            # copy the database file's mode, so creating it 0600 closes all three.
            touch_private(Path(database))
            # One per thread of FastAPI's threadpool (40): a SQLite connection is cheap.
            kwargs["pool_size"] = pool_size or 40
            kwargs.setdefault("max_overflow", 0)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "isolation_level": None}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _WriterGate(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000).listen(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("max_overflow", 0)
    kwargs["pool_size"] = pool_size or 20
    return create_engine(url, **kwargs)


def engine_from_settings(settings: Settings) -> Engine:
    """The instance's engine, built the same way for the web app and every CLI command."""
    return make_engine(settings.db_url, pool_size=settings.db_pool_size)


CACHE_MAX = 512


class Caches:
    """Facts derived from rows that never change once written (a quiz version's parsed
    definition, a course's structure), shared by every session of one sessionmaker — so
    one per app (`app.state.sessionmaker`) or per CLI run, and per database, since ids
    are only unique within one database (tests use many)."""

    def __init__(self) -> None:
        self._named: dict[str, dict] = {}

    def named(self, name: str) -> dict:
        return self._named.setdefault(name, {})

    def clear(self) -> None:
        self._named.clear()


def engine_cache(db: Session, name: str) -> dict:
    """The cache `name` of this session's sessionmaker (keyed so that a change makes a
    new key). A session made without `make_sessionmaker` gets caches of its own."""
    caches = db.info.get("caches")
    if caches is None:
        caches = db.info["caches"] = Caches()
    return caches.named(name)


def remember(cache: dict, key, value, *, limit: int = CACHE_MAX):
    """Store `value` under `key` and return it; past `limit` entries the cache starts
    over. Plain dict operations, safe across threads (a lost entry is only a miss)."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value


def make_sessionmaker(engine: Engine, settings=None) -> sessionmaker[Session]:
    """Sessions carry the instance settings in `session.info["settings"]`, so services
    deep in a transaction (certificate issuing on completion) can read them, and the
    sessionmaker's shared `Caches` in `session.info["caches"]`."""
    return sessionmaker(
        engine, expire_on_commit=False, info={"settings": settings, "caches": Caches()}
    )


def write_locked(session: Session) -> Session:
    """Ask for the database write lock up front (SQLite BEGIN IMMEDIATE) for read-then-write work.

    A read transaction already open (e.g. from loading the current user) is committed
    first: SQLite cannot upgrade it to a write lock without risking "database is locked".
    On PostgreSQL it is a no-op; row locks or unique constraints do the job there.
    """
    if session.get_bind().dialect.name == "sqlite":
        if session.in_transaction():
            session.commit()
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    return session


def insert_ignore(
    session: Session, model: type[Base], values: dict, *, conflict: list[str]
) -> None:
    """INSERT … ON CONFLICT DO NOTHING on either database: idempotent under races
    (double clicks, two tabs, two workers) without catching IntegrityError."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict))
