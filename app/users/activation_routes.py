"""Public account activation: NIP/NIK/email + one-time code + a new password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request

from app import ratelimit
from app.auth import sessions
from app.i18n import gettext as _
from app.users.activation import activate
from app.web import SessionDep, client_ip, is_htmx, redirect_after_post, render

router = APIRouter()


@router.get("/aktivasi")
def activation_form(request: Request):
    return render(request, "auth/activate.html", {})


@router.post("/aktivasi")
def activation_submit(
    request: Request,
    db: SessionDep,
    identifier: Annotated[str, Form(max_length=300)] = "",
    code: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=2000)] = "",
):
    app = request.app.state
    if not ratelimit.hit(
        db, key=f"activate:{client_ip(request)}", limit=10, window_seconds=300, now=app.clock()
    ):
        raise HTTPException(
            429, _("Terlalu banyak percobaan aktivasi. Coba lagi beberapa menit lagi.")
        )
    problem, token = activate(
        db,
        identifier=identifier,
        code=code,
        password=password,
        confirm=confirm,
        hasher=app.hasher,
        now=app.clock(),
        settings=app.settings,
        ip=client_ip(request),
    )
    if problem:
        return render(
            request,
            "auth/activate.html",
            {"error": problem, "identifier": identifier[:254]},
            block="activate_form",
            status_code=200 if is_htmx(request) else 422,
        )
    response = redirect_after_post(request, "/")
    sessions.set_cookie(response, token, request.app.state.settings)
    return response
