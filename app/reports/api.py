"""Read-only JSON API under /api/v1, for machines: bearer API tokens only.

Cookies are never looked at here, so a browser session cannot be replayed against the API
(and the API needs no CSRF token: it has no unsafe methods). The figures are the ones the
dashboard shows: the same filter parameters go through the same query functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, create_model

from app.reports import tokens
from app.reports.columns import COLUMNS, Kind
from app.reports.drilldown import opd_people as people_page
from app.reports.filters import parse_page
from app.reports.models import ApiToken
from app.reports.opd_summary import opd_summary
from app.reports.routes import report_errors
from app.reports.selection import build_filter, check_opd
from app.web import SessionDep

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="TokenAPI",
    description="Token API dari halaman Admin › Token API: `Authorization: Bearer ckp_…`.",
)
_CHALLENGE = 'Bearer realm="cakap"'


def api_token(
    request: Request,
    db: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiToken:
    """The API token of the request (401 with a Bearer challenge when missing or invalid)."""
    if credentials is None:
        raise HTTPException(
            401,
            "Token API diperlukan: kirim header 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": _CHALLENGE},
        )
    token = tokens.authenticate(db, credentials.credentials, now=request.app.state.clock())
    if token is None:
        raise HTTPException(
            401,
            "Token API tidak valid atau sudah dicabut.",
            headers={"WWW-Authenticate": _CHALLENGE + ', error="invalid_token"'},
        )
    return token


api_token.token_auth = True  # read by the access-matrix test
Token = Annotated[ApiToken, Depends(api_token)]

router = APIRouter(prefix="/api/v1", tags=["laporan"])


# The dashboard's columns (app/reports/columns.py), by their API field.
_FIELD_TYPES = {
    Kind.COUNT: int,
    Kind.JP: int,
    Kind.PERCENT: float | None,
    Kind.SCORE: float | None,
}
OpdCompletion = create_model(
    "OpdCompletion",
    opd_id=(int | None, Field(description="Kosong untuk total kota")),
    opd_code=(str, ...),
    opd_name=(str, ...),
    **{
        c.field: (_FIELD_TYPES[c.kind], Field(description=c.label))
        for c in COLUMNS
        if c.kind.numeric
    },
)


class OpdCompletionReport(BaseModel):
    generated_at: datetime
    filters: dict
    rows: list[OpdCompletion]
    totals: OpdCompletion


class EnrolmentStatus(BaseModel):
    course_slug: str
    course_title: str
    status: str
    progress_percent: int
    last_activity_at: str | None
    completed_at: str | None
    final_score: float | None
    certificate_serial: str | None
    certificate_revoked: bool


class Person(BaseModel):
    user_id: int
    nip: str | None
    name: str
    employment_status: str
    last_activity_at: str | None
    enrolments: list[EnrolmentStatus]


class OpdPeople(BaseModel):
    opd_id: int
    opd_code: str
    opd_name: str
    page: int
    per_page: int
    total: int
    pages: int
    people: list[Person]


_ERRORS = {
    401: {"description": "Token tidak ada, tidak valid, atau dicabut"},
    403: {"description": "Token dibatasi ke OPD lain"},
    422: {"description": "Parameter tidak valid (pesan dalam bahasa Indonesia)"},
}
Course = Annotated[str | None, Query(description="Slug kursus, mis. orientasi-digital-cpns")]
Audience = Annotated[str | None, Query(description="all | cpns | bimtek")]
Status = Annotated[str | None, Query(description="all | CPNS | PNS | PPPK | NON_ASN")]
From = Annotated[str | None, Query(description="Awal periode penyelesaian, TTTT-BB-HH")]
To = Annotated[str | None, Query(description="Akhir periode penyelesaian, TTTT-BB-HH")]


def _params(**values: str | None) -> dict[str, str | None]:
    return values


@router.get(
    "/opd-completion",
    response_model=OpdCompletionReport,
    responses=_ERRORS,
    summary="Capaian penyelesaian per OPD",
)
def opd_completion(
    request: Request,
    db: SessionDep,
    token: Token,
    kursus: Course = None,
    sasaran: Audience = None,
    status: Status = None,
    dari: From = None,
    sampai: To = None,
    opd: Annotated[str | None, Query(description="Batasi ke satu OPD (id)")] = None,
    urut: Annotated[str | None, Query(description="Kolom urutan, mis. persen")] = None,
    turun: Annotated[str | None, Query(description="1 = urutan menurun")] = None,
):
    """The dashboard table: per OPD and the city total, with the dashboard's filters."""
    params = _params(
        kursus=kursus,
        sasaran=sasaran,
        status=status,
        dari=dari,
        sampai=sampai,
        opd=opd,
        urut=urut,
        turun=turun,
    )
    with report_errors():
        f = build_filter(db, params, scope=tokens.scope(token))
        summary = opd_summary(db, f)
    body = OpdCompletionReport(
        generated_at=request.app.state.clock(),
        filters=f.as_dict(),
        rows=[OpdCompletion(**r.as_dict()) for r in summary.rows],
        totals=OpdCompletion(**summary.totals.as_dict()),
    )
    return JSONResponse(body.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


@router.get(
    "/opds/{opd_id}/people",
    response_model=OpdPeople,
    responses={**_ERRORS, 404: {"description": "OPD tidak ada"}},
    summary="ASN satu OPD dengan status kursusnya",
)
def opd_people(
    db: SessionDep,
    token: Token,
    opd_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    kursus: Course = None,
    sasaran: Audience = None,
    status: Status = None,
    halaman: Annotated[str | None, Query(description="Nomor halaman, mulai 1")] = None,
    per_halaman: Annotated[int, Query(ge=1, le=500, description="Baris per halaman")] = 100,
):
    """The drill-down: the OPD's ASN by name, each with their enrolments, paginated."""
    params = _params(kursus=kursus, sasaran=sasaran, status=status)
    with report_errors():
        f = build_filter(db, params, scope=tokens.scope(token))
        opd = check_opd(db, f, opd_id)
        page = people_page(db, f, opd_id, page=parse_page(halaman), per_page=per_halaman)
    body = OpdPeople(
        opd_id=opd.id,
        opd_code=opd.code,
        opd_name=opd.name,
        page=page.page,
        per_page=page.per_page,
        total=page.total,
        pages=page.pages,
        people=[Person(**p.as_dict()) for p in page.items],
    )
    return JSONResponse(body.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
