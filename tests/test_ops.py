"""/healthz and /readyz: what a load balancer or orchestrator asks before sending traffic."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from app.main import create_app


def test_ready_when_database_migrations_and_courses_are_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "checks": {"database": "ok", "migrations": "ok", "courses": "ok"},
    }
    assert client.get("/healthz").json() == {"status": "ok"}


def test_not_ready_without_courses(settings, tmp_path):
    empty = tmp_path / "no-courses"
    empty.mkdir()
    app = create_app(settings.model_copy(update={"courses_dir": empty}))
    with TestClient(app) as c:
        response = c.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["courses"] == "none loaded"
        # Liveness does not depend on the database or the courses.
        assert c.get("/healthz").status_code == 200


def test_not_ready_when_database_is_behind_the_code(app):
    with TestClient(app) as c:
        assert c.get("/readyz").status_code == 200
        engine = app.state.engine
        with engine.begin() as conn:
            head = conn.scalar(text("SELECT version_num FROM alembic_version"))
            conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        try:
            response = c.get("/readyz")
            assert response.status_code == 503
            assert response.json()["checks"]["migrations"] == "not at head"
        finally:
            with engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
