"""The SQLite writer gate (app.db._WriterGate): one write transaction at a time per
process, always released — after commit, rollback, a session closed mid-transaction, or
a BEGIN that failed."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text

from app.db import make_engine, make_sessionmaker, write_locked


@pytest.fixture
def maker(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (1, 0)")
    yield make_sessionmaker(engine)
    engine.dispose()


def _gate_free(maker) -> bool:
    # Another thread must be able to take the write lock at once.
    result = []

    def attempt():
        with maker() as db:
            write_locked(db)
            db.execute(text("UPDATE counter SET n = n"))
            db.commit()
            result.append(True)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=2)
    return result == [True]


@pytest.mark.parametrize("ending", ["commit", "rollback", "close", "exception"])
def test_gate_is_released_however_the_transaction_ends(maker, ending):
    db = maker()
    write_locked(db)
    db.execute(text("UPDATE counter SET n = n + 1"))
    if ending == "commit":
        db.commit()
    elif ending == "rollback":
        db.rollback()
    elif ending == "exception":
        with pytest.raises(ZeroDivisionError), db.begin_nested():
            raise ZeroDivisionError
        db.rollback()
    db.close()
    assert _gate_free(maker)


def test_gate_is_released_when_begin_fails(maker, tmp_path):
    # Another process (here: a plain sqlite3 connection) holds the write lock.
    other = sqlite3.connect(tmp_path / "gate.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    db = maker()
    db.execute(text("PRAGMA busy_timeout=50"))
    db.commit()
    with pytest.raises(Exception, match="locked"):
        write_locked(db)
        db.execute(text("SELECT 1"))
    db.close()
    other.execute("ROLLBACK")
    other.close()
    assert _gate_free(maker)


def test_concurrent_writers_queue_instead_of_failing(maker):
    errors = []

    def work():
        try:
            for _ in range(25):
                with maker() as db:
                    write_locked(db)
                    n = db.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                    db.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
                    db.commit()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with maker() as db:
        # read-modify-write under the lock: no lost update
        assert db.execute(text("SELECT n FROM counter")).scalar_one() == 200
