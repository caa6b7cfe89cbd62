"""Admin › Token API: create (the secret is shown once), list and revoke API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request

from app.auth.deps import Admin
from app.reports import lookups, tokens
from app.reports.models import ApiToken
from app.web import SessionDep, client_ip, redirect_after_post, render

router = APIRouter(include_in_schema=False)


def _page(request: Request, db, *, status_code: int = 200, **context):
    response = render(
        request,
        "reports/tokens.html",
        {"tokens": tokens.all_tokens(db), "opds": lookups.opd_choices(db), **context},
        status_code=status_code,
    )
    # The page may carry a new secret: keep it out of every cache and the back button.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/token-api")
def token_list(request: Request, db: SessionDep, user: Admin):
    return _page(request, db)


@router.post("/admin/token-api")
def token_create(
    request: Request,
    db: SessionDep,
    user: Admin,
    name: Annotated[str, Form(max_length=200)] = "",
    opd: Annotated[str, Form(max_length=12)] = "",
):
    try:
        if opd and not opd.isdigit():
            # Never fall back to a city-wide token when an OPD was meant.
            raise tokens.TokenError("OPD yang dipilih tidak ada.")
        opd_id = int(opd) if opd else None
        created = tokens.create(
            db,
            name=name,
            opd_id=opd_id,
            actor=user,
            now=request.app.state.clock(),
            ip=client_ip(request),
        )
    except tokens.TokenError as exc:
        return _page(request, db, status_code=422, error=str(exc), name=name, opd=opd)
    return _page(request, db, created=created)


@router.post("/admin/token-api/{token_id}/cabut")
def token_revoke(request: Request, db: SessionDep, user: Admin, token_id: int):
    token = db.get(ApiToken, token_id)
    if token is None:
        raise HTTPException(404)
    tokens.revoke(db, token=token, actor=user, now=request.app.state.clock(), ip=client_ip(request))
    return redirect_after_post(request, "/admin/token-api")
