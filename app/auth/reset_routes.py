"""Forgot password: ask for a link (public), open it, set a new password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from app.auth import password_reset, sessions
from app.web import SessionDep, client_ip, is_htmx, redirect_after_post, render

router = APIRouter()


@router.get("/lupa-kata-sandi")
def forgot_page(request: Request):
    return render(request, "auth/forgot.html", {})


@router.post("/lupa-kata-sandi")
def forgot_submit(
    request: Request,
    db: SessionDep,
    identifier: Annotated[str, Form(max_length=300)] = "",
):
    app = request.app.state
    outcome = password_reset.request_reset(
        db, identifier=identifier, ip=client_ip(request), settings=app.settings, now=app.clock()
    )
    if outcome.refused:
        return render(
            request,
            "auth/forgot.html",
            {"error": outcome.refused, "identifier": identifier[:254]},
            block="forgot_form",
            status_code=429,
        )
    return render(
        request,
        "auth/forgot.html",
        {"requested": True, "minutes": app.settings.password_reset_minutes},
        block="forgot_form",
    )


@router.get("/lupa-kata-sandi/{token}")
def reset_page(request: Request, db: SessionDep, token: str):
    expired = password_reset.check_link(db, token=token, now=request.app.state.clock())
    return render(
        request,
        "auth/reset.html",
        {"expired": expired, "action": request.url.path},
        status_code=404 if expired else 200,
    )


@router.post("/lupa-kata-sandi/{token}")
def reset_submit(
    request: Request,
    db: SessionDep,
    token: str,
    password: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=2000)] = "",
):
    app = request.app.state
    problem, session_token = password_reset.reset_password(
        db,
        token=token,
        password=password,
        confirm=confirm,
        hasher=app.hasher,
        settings=app.settings,
        now=app.clock(),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if problem == password_reset.expired_message():
        return redirect_after_post(request, request.url.path)  # the page says why
    if problem:
        return render(
            request,
            "auth/reset.html",
            {"error": problem, "action": request.url.path},
            block="reset_form",
            status_code=200 if is_htmx(request) else 422,
        )
    response = redirect_after_post(request, "/akun?diubah=1")
    # A stale cookie of this browser died with the others: the new session replaces it.
    sessions.set_cookie(response, session_token, app.settings)
    return response
