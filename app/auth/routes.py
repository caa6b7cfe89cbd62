from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from app import i18n
from app.auth import service, sessions
from app.auth.deps import AuthDep, CurrentUser
from app.auth.service import LoginOutcome
from app.labels import label
from app.users.models import User
from app.web import LANG_COOKIE, SessionDep, client_ip, is_htmx, redirect_after_post, render

router = APIRouter()


def _safe_next(value: str | None) -> str:
    # Only local paths: an open redirect after login is a phishing gift.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/masuk")
def login_page(request: Request, auth: AuthDep, next: str | None = None):
    if auth is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": _safe_next(next)})


@router.post("/masuk")
def login_submit(
    request: Request,
    db: SessionDep,
    identifier: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
):
    app = request.app.state
    result = service.login(
        db,
        identifier=identifier,
        password=password,
        hasher=app.hasher,
        settings=app.settings,
        now=app.clock(),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if result.outcome is LoginOutcome.ok:
        response = redirect_after_post(request, _safe_next(next))
        # A fresh token on every login: a session id planted before login is useless.
        old = request.cookies.get(sessions.COOKIE_NAME)
        if old:
            sessions.destroy(db, sessions.token_hash(old))
            db.commit()
        sessions.set_cookie(response, result.token, request.app.state.settings)
        response.set_cookie(
            LANG_COOKIE,
            i18n.pick_locale(result.user.locale),
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )
        return response
    status = {LoginOutcome.throttled: 429, LoginOutcome.busy: 429}.get(
        result.outcome, 200 if is_htmx(request) else 422
    )
    response = render(
        request,
        "auth/login.html",
        {"error": result.message, "identifier": identifier[:254], "next": next},
        block="login_form",
        status_code=status,
    )
    if result.retry_after:
        response.headers["Retry-After"] = str(result.retry_after)
    return response


@router.post("/keluar")
def logout(request: Request, db: SessionDep, auth: AuthDep):
    if auth is not None:
        sessions.destroy(db, auth.id)
        db.commit()
    response = redirect_after_post(request, "/masuk")
    response.delete_cookie(sessions.COOKIE_NAME, path="/")
    return response


@router.get("/akun")
def account_page(request: Request, user: CurrentUser, diubah: int = 0):
    labels = [label(r, "role") for r in sorted(user.roles)]
    flash = i18n.gettext("Kata sandi berhasil diubah.") if diubah else None
    return render(request, "auth/account.html", {"role_labels": labels, "flash": flash})


@router.post("/akun/kata-sandi")
def change_password(
    request: Request,
    db: SessionDep,
    user: CurrentUser,
    current: Annotated[str, Form(max_length=2000)] = "",
    new: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=2000)] = "",
):
    app = request.app.state
    problem, token = service.change_password(
        db,
        user=db.get(User, user.id),  # changed: the row, not the session's copy
        current=current,
        new=new,
        confirm=confirm,
        hasher=app.hasher,
        now=app.clock(),
        settings=app.settings,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if problem:
        labels = [label(r, "role") for r in sorted(user.roles)]
        return render(
            request,
            "auth/account.html",
            {"error": problem, "role_labels": labels},
            block="password_form",
            status_code=200 if is_htmx(request) else 422,
        )
    response = redirect_after_post(request, "/akun?diubah=1")
    sessions.set_cookie(response, token, request.app.state.settings)
    return response


@router.post("/bahasa")
def set_language(
    request: Request,
    db: SessionDep,
    auth: AuthDep,
    locale: Annotated[str, Form(max_length=8)] = "id",
):
    locale = i18n.pick_locale(locale)
    if auth is not None:
        db.get(User, auth.user_id).locale = locale
        db.commit()
    back = request.headers.get("referer", "/")
    base = str(request.base_url)
    target = "/" + back[len(base) :] if back.startswith(base) else "/"
    response = redirect_after_post(request, _safe_next(target))
    response.set_cookie(
        LANG_COOKIE,
        locale,
        samesite="lax",
        max_age=365 * 24 * 3600,
        secure=request.app.state.settings.secure_cookies,
    )
    return response
