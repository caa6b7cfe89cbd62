"""Application factory: middleware, static files, routers — nothing else."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import Depends, FastAPI

import app.models  # noqa: F401  (all models, and services that hook into progress)
from app import wiring
from app.audit.routes import router as audit_router
from app.auth.passwords import HashBusy, hasher_from_settings
from app.auth.reset_routes import router as reset_router
from app.auth.routes import router as auth_router
from app.bimtek.checkin_routes import router as bimtek_checkin_router
from app.bimtek.learner_routes import router as bimtek_learner_router
from app.bimtek.routes import router as bimtek_router
from app.certificates.routes import router as certificates_router
from app.city import service as city
from app.city.routes import router as city_router
from app.config import PROJECT_ROOT, Settings, get_settings
from app.courses.admin_routes import router as courses_admin_router
from app.courses.routes import router as courses_router
from app.courses.sync import sync_courses
from app.db import engine_from_settings, make_sessionmaker, utcnow
from app.home.routes import router as home_router
from app.logs import RequestLogger
from app.migrate import ensure_migrated
from app.notifications.routes import router as notifications_router
from app.notifications.routes import unread_badge
from app.opds.routes import router as opds_router
from app.ops.routes import router as ops_router
from app.progress.rules_routes import router as rules_router
from app.quizzes.routes import router as quizzes_router
from app.reports import rollups as report_rollups
from app.reports.admin_routes import router as reports_admin_router
from app.reports.api import router as reports_api_router
from app.reports.routes import router as reports_router
from app.users.activation_list_routes import router as activation_list_router
from app.users.activation_routes import router as activation_router
from app.users.add_person_routes import router as add_person_router
from app.users.admin_routes import router as users_admin_router
from app.users.nip import mask_nip
from app.web import RequestContextMiddleware, errors, static_files, templates
from app.web.csrf import csrf_protect
from app.web.limits import BodySizeLimitMiddleware
from app.web.session import EventLoopReader

# NIPs on screens others can see (the projected attendance screen): first and last digits.
templates.env.filters["samarkan"] = mask_nip
# The header's bell (base.html): the unread count, read on the request's own session.
templates.env.globals["unread_notifications"] = unread_badge

log = logging.getLogger("cakap")

# The routes that take a file upload (and so the larger body limit).
UPLOAD_PATHS = ("/admin/impor", "/admin/opd/impor", "/admin/kota/logo")


# Young objects a request leaves behind before the collector looks: a page makes tens of
# thousands (ORM rows, template contexts), so the default 700 ran a collection several
# times per request.
GC_GEN0_THRESHOLD = 50_000


def tune_gc() -> None:
    """Once the worker has started: move everything alive now (modules, routes, compiled
    templates, the engine) out of the collector's sight, where it never changes, and let
    generation 0 grow larger. Measured on the module page and the CSV export, +14–25 %
    at 1 connection and +40–60 % at 50 (docs/performance.md). Not at import of a library
    module: tests and the CLI keep Python's defaults."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, 20, 20)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    check_migrations: bool = True,
    gc_tuning: bool = False,
) -> FastAPI:
    """The application. `gc_tuning` is for the served process (app.asgi): see tune_gc."""
    settings = settings or get_settings()
    wiring.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The engine is made here, after any fork by the process manager.
        engine = engine_from_settings(settings)
        if check_migrations:
            ensure_migrated(engine)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine, settings)
        app.state.loop_reader = EventLoopReader.for_engine(engine)
        if settings.sync_courses_on_startup:
            with app.state.sessionmaker() as db:
                report = sync_courses(db, root=settings.courses_dir, now=clock())
            for problem in report.problems:
                log.warning("course problem: %s", problem)
        with app.state.sessionmaker() as db:
            if not city.signer(db, settings).complete:
                # Certificates would carry a blank line for the name until someone sets it.
                log.warning(
                    "penandatangan sertifikat belum diatur: isi di Admin › Penandatangan "
                    "(/admin/kota) atau CAKAP_SIGNER_NAME / CAKAP_SIGNER_NIP"
                )
            if check_migrations and (problem := report_rollups.zone_problem(db)):
                # The dashboard and the JP page answer 503 with this until it is done.
                log.warning("laporan mingguan dan JP ditolak: %s", problem)
        if gc_tuning:
            tune_gc()
        yield
        if app.state.loop_reader is not None:
            app.state.loop_reader.close()
        engine.dispose()

    app = FastAPI(
        title="Cakap",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.hasher = hasher_from_settings(settings)
    # Inside the request-context middleware, so a 413 still carries the security headers.
    app.add_middleware(
        BodySizeLimitMiddleware,
        default_limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
        upload_paths=UPLOAD_PATHS,
    )
    app.add_middleware(
        RequestContextMiddleware,
        secure_cookies=settings.secure_cookies,
        logger=RequestLogger(json_format=settings.log_json),
    )
    app.mount("/static", static_files(PROJECT_ROOT / "app" / "static"), name="static")
    app.include_router(ops_router, include_in_schema=False)
    app.include_router(auth_router, include_in_schema=False)
    app.include_router(reset_router, include_in_schema=False)
    app.include_router(notifications_router, include_in_schema=False)
    app.include_router(home_router, include_in_schema=False)
    app.include_router(courses_router, include_in_schema=False)
    app.include_router(courses_admin_router, include_in_schema=False)
    app.include_router(quizzes_router, include_in_schema=False)
    app.include_router(certificates_router, include_in_schema=False)
    # Before the people pages: "/admin/pengguna/baru" is no user id.
    app.include_router(add_person_router, include_in_schema=False)
    app.include_router(users_admin_router, include_in_schema=False)
    app.include_router(activation_router, include_in_schema=False)
    app.include_router(activation_list_router, include_in_schema=False)
    app.include_router(opds_router, include_in_schema=False)
    app.include_router(rules_router, include_in_schema=False)
    app.include_router(audit_router, include_in_schema=False)
    app.include_router(city_router, include_in_schema=False)
    app.include_router(bimtek_learner_router, include_in_schema=False)
    app.include_router(bimtek_router, include_in_schema=False)
    app.include_router(bimtek_checkin_router, include_in_schema=False)
    app.include_router(reports_router, include_in_schema=False)
    app.include_router(reports_admin_router, include_in_schema=False)
    app.include_router(reports_api_router)
    errors.install(app)
    # Every password-hashing slot of this worker stayed busy (a login burst): refuse
    # instead of queueing more 19 MiB argon2 computations in memory.
    app.add_exception_handler(
        HashBusy,
        errors.too_busy(
            errors.N_("Server sedang sibuk memeriksa kata sandi. Coba lagi dalam beberapa detik.")
        ),
    )
    return app
