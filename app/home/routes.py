from __future__ import annotations

from fastapi import APIRouter, Request

from app.auth.deps import CurrentUser
from app.home import service
from app.web import SessionDep, render

router = APIRouter()


@router.get("/")
def home(request: Request, db: SessionDep, user: CurrentUser):
    return render(request, "home/home.html", service.home_context(db, user=user))
