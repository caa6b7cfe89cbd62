"""Error pages in Bahasa Indonesia (HTML), or JSON for the API."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import NotAllowed, NotFound
from app.i18n import gettext as _
from app.web import is_htmx, render


class LoginRequired(Exception):
    """Raised for anonymous requests to protected routes; handled as a redirect to login."""


def N_(message: str) -> str:
    """Mark a constant for extraction; translated where it is shown."""
    return message


log = logging.getLogger("cakap.errors")

TITLES = {
    400: N_("Permintaan tidak valid"),
    401: N_("Perlu masuk"),
    403: N_("Akses ditolak"),
    404: N_("Halaman tidak ditemukan"),
    405: N_("Metode tidak diizinkan"),
    413: N_("Berkas terlalu besar"),
    422: N_("Data tidak valid"),
    429: N_("Terlalu banyak permintaan"),
    500: N_("Terjadi kesalahan"),
}
MESSAGES = {
    403: N_("Anda tidak memiliki akses ke halaman ini."),
    404: N_("Halaman yang Anda cari tidak ada atau sudah dipindahkan."),
    405: N_("Alamat ini tidak menerima permintaan seperti itu."),
    422: N_("Sebagian isian tidak valid. Periksa kembali lalu kirim ulang."),
    500: N_("Maaf, terjadi kesalahan di server. Tim teknis telah dicatat; silakan coba lagi."),
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, detail: str | None = None) -> Response:
    title = _(TITLES.get(status, "Terjadi kesalahan"))
    message = _(detail) if detail else _(MESSAGES.get(status, title))
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(
        request,
        "errors/error.html",
        {"status_code": status, "title": title, "message": message},
        status_code=status,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        # Keep the query string: a scanned check-in QR carries its code there.
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = "/masuk?next=" + quote(back, safe="/")
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
        response = error_response(request, exc.status_code, detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        return error_response(request, 422)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return error_response(request, 404, str(exc) or None)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed):
        return error_response(request, 403, str(exc) or None)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception):
        # An id from the URL beyond the database's integer range cannot name anything.
        log.info("out-of-range value on %s: %s", request.url.path, type(exc).__name__)
        return error_response(request, 404)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500)


def too_busy(message: str):
    """A handler for an exception with `retry_after`: 429 with Retry-After and `message`."""

    async def handler(request: Request, exc: Exception):
        response = error_response(request, 429, message)
        response.headers["Retry-After"] = str(getattr(exc, "retry_after", 1))
        return response

    return handler
