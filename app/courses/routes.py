"""Catalogue, course pages, module pages and "Tandai selesai"."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from app.auth.deps import CurrentUser
from app.courses import service
from app.db import write_locked
from app.i18n import gettext as _
from app.progress import service as progress
from app.web import SessionDep, is_htmx, redirect_after_post, render

router = APIRouter()

# Served course assets may be SVG; a strict policy keeps any script inside them inert.
ASSET_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox"


def _course_or_404(db, slug: str):
    course = service.get_course(db, slug)
    if course is None:
        raise HTTPException(404)
    return course


def _module_or_404(db, course, slug: str):
    module = service.get_module(db, course=course, slug=slug)
    if module is None:
        raise HTTPException(404)
    return module


@router.get("/kursus")
def catalogue(request: Request, db: SessionDep, user: CurrentUser, audiens: str | None = None):
    courses = service.catalogue(db, audience=audiens)
    return render(
        request,
        "courses/catalogue.html",
        {
            "courses": courses,
            "audience": audiens if audiens in service.AUDIENCES else None,
            "audiences": service.AUDIENCES,
            "enrolments": progress.enrolments_by_course(db, user_id=user.id),
        },
        block="course_list",
    )


@router.get("/kursus/{slug}")
def course_page(request: Request, db: SessionDep, user: CurrentUser, slug: str):
    course = _course_or_404(db, slug)
    enrolment = progress.get_enrolment(db, user_id=user.id, course_id=course.id)
    items = progress.outline(db, course=course, enrolment=enrolment)
    return render(
        request,
        "courses/course.html",
        {
            "course": course,
            "enrolment": enrolment,
            "items": items,
            "next": progress.next_item(items) if enrolment else None,
            "audiences": service.AUDIENCES,
            "jp_categories": service.JP_CATEGORIES,
        },
    )


@router.post("/kursus/{slug}/daftar")
def enrol(request: Request, db: SessionDep, user: CurrentUser, slug: str):
    course = _course_or_404(db, slug)
    write_locked(db)  # read-then-write: take SQLite's write lock first (double clicks)
    try:
        progress.enrol(db, user_id=user.id, course=course, now=request.app.state.clock())
    except progress.NotEnrollable as exc:
        raise HTTPException(403, _(str(exc))) from exc
    return redirect_after_post(request, f"/kursus/{slug}/lanjutkan")


@router.get("/kursus/{slug}/lanjutkan")
def resume(db: SessionDep, user: CurrentUser, slug: str):
    course = _course_or_404(db, slug)
    enrolment = progress.get_enrolment(db, user_id=user.id, course_id=course.id)
    if enrolment is None:
        return RedirectResponse(f"/kursus/{slug}", status_code=303)
    item = progress.next_item(progress.outline(db, course=course, enrolment=enrolment))
    if item is None:
        return RedirectResponse(f"/kursus/{slug}", status_code=303)
    return RedirectResponse(service.item_url(slug, item), status_code=303)


@router.get("/kursus/{slug}/modul/{module_slug}")
def module_page(request: Request, db: SessionDep, user: CurrentUser, slug: str, module_slug: str):
    course = _course_or_404(db, slug)
    module = _module_or_404(db, course, module_slug)
    enrolment = progress.get_enrolment(db, user_id=user.id, course_id=course.id)
    if enrolment is None:
        return RedirectResponse(f"/kursus/{slug}", status_code=303)
    items = progress.outline(db, course=course, enrolment=enrolment)
    item = next(i for i in items if i.kind == "module" and i.id == module.id)
    before, after = service.neighbours(items, module.id)
    return render(
        request,
        "courses/module.html",
        {
            "course": course,
            "module": module,
            "version": service.module_version(db, module),
            "item": item,
            "items": items,
            "before": before,
            "after": after,
            "enrolment": enrolment,
            "item_url": service.item_url,
        },
    )


@router.post("/kursus/{slug}/modul/{module_slug}/buka")
def module_opened(request: Request, db: SessionDep, user: CurrentUser, slug: str, module_slug: str):
    """Called by htmx when a module page loads: records "sedang dibaca" (idempotent)."""
    course = _course_or_404(db, slug)
    module = _module_or_404(db, course, module_slug)
    enrolment = progress.get_enrolment(db, user_id=user.id, course_id=course.id)
    if enrolment is None:
        raise HTTPException(403, _("Anda belum terdaftar di kursus ini."))
    progress.mark_started(db, enrolment=enrolment, module=module, now=request.app.state.clock())
    if is_htmx(request):
        return Response(status_code=204)
    return RedirectResponse(f"/kursus/{slug}/modul/{module_slug}", status_code=303)


@router.post("/kursus/{slug}/modul/{module_slug}/selesai")
def module_done(request: Request, db: SessionDep, user: CurrentUser, slug: str, module_slug: str):
    course = _course_or_404(db, slug)
    module = _module_or_404(db, course, module_slug)
    enrolment = progress.get_enrolment(db, user_id=user.id, course_id=course.id)
    if enrolment is None:
        raise HTTPException(403, _("Anda belum terdaftar di kursus ini."))
    progress.mark_completed(db, enrolment=enrolment, module=module, now=request.app.state.clock())
    items = progress.outline(db, course=course, enrolment=enrolment)
    _before, after = service.neighbours(items, module.id)
    if is_htmx(request):
        item = next(i for i in items if i.kind == "module" and i.id == module.id)
        return render(
            request,
            "courses/module.html",
            {
                "course": course,
                "module": module,
                "item": item,
                "after": after,
                "enrolment": enrolment,
                "items": items,
                "item_url": service.item_url,
            },
            block="done_box",
        )
    target = service.item_url(slug, after) if after else f"/kursus/{slug}/lanjutkan"
    return RedirectResponse(target, status_code=303)


@router.get("/kursus/{slug}/aset/{path:path}")
def asset(request: Request, db: SessionDep, user: CurrentUser, slug: str, path: str):
    course = _course_or_404(db, slug)
    # Only files the loader listed for this course; never a path built from user input.
    if path not in set(course.assets):
        raise HTTPException(404)
    root = Path(request.app.state.settings.courses_dir).resolve()
    file = (root / slug / path).resolve()
    if not file.is_relative_to(root / slug) or not file.is_file():
        raise HTTPException(404)
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return FileResponse(
        file,
        media_type=media_type,
        headers={"Content-Security-Policy": ASSET_CSP, "Cache-Control": "private, max-age=3600"},
    )
